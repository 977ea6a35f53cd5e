"""The shared helpers of ``otel_agent_trace.instrumentation._http``."""

from __future__ import annotations

import pytest
from requests.structures import CaseInsensitiveDict

from otel_agent_trace.instrumentation._http import (
    body_text,
    copy_headers,
    protocol_version,
    redact_url,
    url_attributes,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.example.com/v1/x", "https://api.example.com/v1/x"),
        ("https://u:p@h.example.com:8443/a?b=1", "https://REDACTED:REDACTED@h.example.com:8443/a?b=1"),
        ("https://h/a?token=t1&page=2&API_KEY=k#frag", "https://h/a?token=REDACTED&page=2&API_KEY=REDACTED#frag"),
        ("https://h/a?X-Amz-Signature=s&sig=q&flag", "https://h/a?X-Amz-Signature=REDACTED&sig=REDACTED&flag"),
        ("https://h/a?api%5Fkey=k", "https://h/a?api%5Fkey=REDACTED"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_url_attributes_default_ports_and_ipv6() -> None:
    assert url_attributes("https://Example.COM/x") == {
        "url.full": "https://Example.COM/x",
        "server.address": "example.com",
        "server.port": 443,
    }
    assert url_attributes("http://[::1]:8080/") == {
        "url.full": "http://[::1]:8080/",
        "server.address": "::1",
        "server.port": 8080,
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(11, "1.1"), (10, "1.0"), (20, "2"), ("HTTP/1.1", "1.1"), ("HTTP/2", "2"), ((1, 1), "1.1"), (None, None)],
)
def test_protocol_version(raw: object, expected: str | None) -> None:
    assert protocol_version(raw) == expected


def test_body_text_bounds_and_skips_streams() -> None:
    assert body_text(b"abc") == "abc"
    assert body_text("é" * 10_000) == "é" * 4096
    assert body_text(bytearray(b"z" * 9000)) == "z" * 8192
    assert body_text(iter([b"chunk"])) is None
    assert body_text(None) is None


def test_copy_headers_keeps_kind_and_leaves_original() -> None:
    original = CaseInsensitiveDict({"A": "1"})
    copy = copy_headers(original)
    copy["traceparent"] = "x"
    assert isinstance(copy, CaseInsensitiveDict)
    assert "traceparent" not in original
    assert copy_headers(None) == {}
    assert copy_headers([("a", "1")]) == {"a": "1"}
