"""A coarse device label for the session list ("Firefox on Linux"); the raw User-Agent is not kept."""

from __future__ import annotations

_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)
_APPS = (("SelfcareApp", "Selfcare app"), ("curl/", "curl"), ("python", "script"))


def device_label(user_agent: str | None) -> str:
    if not user_agent:
        return "Unknown device"
    client = next((name for token, name in _APPS if token in user_agent), None)
    if client is None:
        client = next((name for token, name in _BROWSERS if token in user_agent), "Browser")
    system = next((name for token, name in _SYSTEMS if token in user_agent), None)
    return f"{client} on {system}" if system else client
