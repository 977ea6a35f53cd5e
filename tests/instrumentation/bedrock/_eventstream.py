"""A small encoder of the AWS event-stream binary format (what botocore's parser reads and validates).

Message: total length (u32), headers length (u32), prelude CRC32, headers, payload, message CRC32; a header is
name length (u8), name, type 7 (string), value length (u16), value. All big-endian.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from typing import Any


def _headers(headers: dict[str, str]) -> bytes:
    out = b""
    for name, value in headers.items():
        raw_name, raw_value = name.encode(), value.encode()
        out += struct.pack(">B", len(raw_name)) + raw_name + struct.pack(">BH", 7, len(raw_value)) + raw_value
    return out


def message(headers: dict[str, str], payload: bytes) -> bytes:
    """One encoded event-stream message."""
    raw_headers = _headers(headers)
    total = 12 + len(raw_headers) + len(payload) + 4
    prelude = struct.pack(">II", total, len(raw_headers))
    prelude += struct.pack(">I", zlib.crc32(prelude) & 0xFFFFFFFF)
    body = prelude + raw_headers + payload
    return body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def event(event_type: str, payload: dict[str, Any]) -> bytes:
    """An ``event`` message with a JSON payload."""
    headers = {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}
    return message(headers, json.dumps(payload).encode())


def exception(exception_type: str, text: str) -> bytes:
    """An ``exception`` message (botocore raises ``EventStreamError`` when it reads it)."""
    headers = {":exception-type": exception_type, ":content-type": "application/json", ":message-type": "exception"}
    return message(headers, json.dumps({"message": text}).encode())


def chunk(data: dict[str, Any]) -> bytes:
    """An ``invoke_model_with_response_stream`` chunk: the model's JSON, base64 in ``bytes``."""
    return event("chunk", {"bytes": base64.b64encode(json.dumps(data).encode()).decode()})
