"""The one URL rule of the HTTPS adapters (selfcare.ports.urls)."""

from __future__ import annotations

import pytest
from selfcare.ports.urls import checked_url


@pytest.mark.parametrize("url", ["https://tracker.example/api", "http://127.0.0.1:5001", "http://localhost:8080/x"])
def test_https_anywhere_and_plain_http_on_the_loopback_are_accepted(url: str) -> None:
    assert checked_url(url, "the endpoint").geturl() == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://tracker.example/api", "plain http is only allowed on the loopback"),
        ("ftp://tracker.example", "the endpoint must be an https URL"),
        ("https:///no-host", "the endpoint must be an https URL"),
    ],
)
def test_other_urls_are_refused_naming_what_they_configure(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        checked_url(url, "the endpoint")
