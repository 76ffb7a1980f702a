"""The one rule for the URLs the HTTPS adapters call: https, or plain http on the loopback only (the local stack's
simulators). Standard library only."""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def checked_url(url: str, what: str) -> SplitResult:
    """`url` split, or ValueError naming `what` ("the provisioning endpoint") when it breaks the rule."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{what} must be an https URL")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError("plain http is only allowed on the loopback (the local stack's simulators)")
    return parts
