"""The httpx side of replay recording (imported only once recording is enabled); see ``_record``.

With ``record_replay`` (and content capture) on, every exchange made under a recording span gets one
``agent_trace.replay.http`` event on that span (the LLM span for SDK calls): the request's fingerprint (method,
path, body hash) and the response's status, headers and body. The body is teed while the caller reads it, so a
streamed response is recorded byte for byte without being read ahead; at most ``max_attribute_bytes`` are kept
(beyond that the event says ``complete=False`` and a replay refuses to serve it). ``gzip``/``deflate`` bodies are
recorded decoded. The event is added when the body has been read to its end (or the stream closed), which for the
SDKs is before their LLM span ends; a body read only after its span ended is not recorded (logged at INFO).
"""

from __future__ import annotations

import base64
import json
import logging
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from types import ModuleType
from typing import Any

from opentelemetry import trace
from opentelemetry.util.types import AttributeValue

from otel_agent_trace._internal.context import is_enabled
from otel_agent_trace._internal.errors import handle_internal_errors, log_internal_error
from otel_agent_trace._internal.replay import body_fingerprint, next_seq, recording, request_summary
from otel_agent_trace._internal.settings import get_settings
from otel_agent_trace.semconv import replay as rp

__all__ = ["LIBRARIES", "install", "recorded_headers", "uninstall"]

LIBRARIES = ("httpx", "httpx2")
"""The httpx-compatible libraries whose transports are recorded (the SDKs use one or the other)."""

logger = logging.getLogger("otel_agent_trace")

_SKIPPED_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding", "set-cookie", "connection"})
_DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS, "identity": None, "": None}


def recorded_headers(headers: Any) -> list[list[str]]:
    """The response headers a replay serves back: all but encoding, length, framing and cookies."""
    return [[k.lower(), v] for k, v in headers.multi_items() if k.lower() not in _SKIPPED_HEADERS]


class _Recording:
    """One exchange being recorded: the request's fingerprint, then the response as it is read."""

    __slots__ = ("attrs", "chunks", "done", "encoding", "kept", "limit", "over", "size", "span")

    def __init__(self, span: trace.Span, request: Any, limit: int) -> None:
        body = getattr(request, "_content", None)
        digest, model = body_fingerprint(body if isinstance(body, bytes) else None)
        method, path = str(request.method), str(request.url.path)
        self.span, self.limit = span, limit
        self.attrs: dict[str, AttributeValue] = {
            rp.REPLAY_SEQ: next_seq(),
            rp.REPLAY_REQUEST_METHOD: method,
            rp.REPLAY_REQUEST_PATH: path,
            rp.REPLAY_REQUEST_HASH: digest,
            rp.REPLAY_REQUEST_SUMMARY: request_summary(method, path, model),
        }
        self.chunks: list[bytes] = []
        self.kept = self.size = 0
        self.over = self.done = False
        self.encoding = ""

    def respond(self, response: Any) -> None:
        self.attrs[rp.REPLAY_RESPONSE_STATUS] = response.status_code
        self.attrs[rp.REPLAY_RESPONSE_HEADERS] = json.dumps(recorded_headers(response.headers))
        self.encoding = response.headers.get("content-encoding", "").strip().lower()

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if not self.over:
            if self.kept + len(chunk) <= self.limit:
                self.chunks.append(chunk)
                self.kept += len(chunk)
            else:
                self.over, self.chunks = True, []

    def fail(self, exc: Exception) -> None:
        self.attrs[rp.REPLAY_ERROR_TYPE] = type(exc).__name__
        self.attrs[rp.REPLAY_ERROR_MESSAGE] = str(exc)[:1024]
        self._emit()

    def finish(self, complete: bool) -> None:
        if self.done:
            return
        self.done = True
        body, complete = self._decoded(complete and not self.over)
        if body is None:
            self.attrs[rp.REPLAY_RESPONSE_SIZE] = self.size
            self.attrs[rp.REPLAY_RESPONSE_COMPLETE] = False
        else:
            try:
                text, kind = body.decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                text, kind = base64.b64encode(body).decode("ascii"), "base64"
            self.attrs[rp.REPLAY_RESPONSE_BODY] = text
            self.attrs[rp.REPLAY_RESPONSE_BODY_ENCODING] = kind
            self.attrs[rp.REPLAY_RESPONSE_SIZE] = len(body)
            self.attrs[rp.REPLAY_RESPONSE_COMPLETE] = complete and len(text.encode("utf-8")) <= self.limit
        self._emit()

    def _decoded(self, complete: bool) -> tuple[bytes | None, bool]:
        if not complete:
            return None, False
        raw = b"".join(self.chunks)
        if self.encoding not in _DECODERS:
            return None, False  # br, zstd...: not decoded here, so not replayable
        wbits = _DECODERS[self.encoding]
        if wbits is None:
            return raw, True
        decoder = zlib.decompressobj(wbits)
        try:
            body = decoder.decompress(raw, self.limit + 1)
        except zlib.error:
            return None, False
        return (body, True) if len(body) <= self.limit and not decoder.unconsumed_tail else (None, False)

    def _emit(self) -> None:
        if self.span.is_recording():
            self.span.add_event(rp.REPLAY_HTTP_EVENT, self.attrs)
        else:
            logger.info(
                "otel-agent-trace: replay recording of %s lost: its span ended before the response was read",
                self.attrs.get(rp.REPLAY_REQUEST_SUMMARY),
            )


def _begin(request: Any) -> _Recording | None:
    if not (is_enabled() and recording()):
        return None
    span = trace.get_current_span()
    if not span.is_recording():
        return None
    return _Recording(span, request, get_settings().max_attribute_bytes)


def _tee_classes(lib: ModuleType) -> tuple[type[Any], type[Any]]:
    """Sync and async byte streams of ``lib`` (the client asserts they are its own types) that tee into a recording."""

    class TeeStream(lib.SyncByteStream):  # type: ignore[misc,name-defined]
        def __init__(self, inner: Any, rec: _Recording) -> None:
            self._inner, self._rec = inner, rec

        def __iter__(self) -> Iterator[bytes]:
            for chunk in self._inner:
                with handle_internal_errors("replay.record"):
                    self._rec.add(chunk)
                yield chunk
            with handle_internal_errors("replay.record"):
                self._rec.finish(True)

        def close(self) -> None:
            try:
                self._inner.close()
            finally:
                with handle_internal_errors("replay.record"):
                    self._rec.finish(True)  # closed early: recorded as far as it was read

    class AsyncTeeStream(lib.AsyncByteStream):  # type: ignore[misc,name-defined]
        def __init__(self, inner: Any, rec: _Recording) -> None:
            self._inner, self._rec = inner, rec

        async def __aiter__(self) -> AsyncIterator[bytes]:
            async for chunk in self._inner:
                with handle_internal_errors("replay.record"):
                    self._rec.add(chunk)
                yield chunk
            with handle_internal_errors("replay.record"):
                self._rec.finish(True)

        async def aclose(self) -> None:
            try:
                await self._inner.aclose()
            finally:
                with handle_internal_errors("replay.record"):
                    self._rec.finish(True)  # closed early: recorded as far as it was read

    return TeeStream, AsyncTeeStream


def _safe_begin(request: Any) -> _Recording | None:
    try:
        return _begin(request)
    except Exception:  # noqa: BLE001 - recording never breaks the request
        log_internal_error("replay.record")
        return None


def _attach(rec: _Recording, response: Any, tee: Callable[[Any, _Recording], Any]) -> None:
    try:
        rec.respond(response)
        response.stream = tee(response.stream, rec)
    except Exception:  # noqa: BLE001 - recording never breaks the response
        log_internal_error("replay.record")


def _failed(rec: _Recording, exc: Exception) -> None:
    with handle_internal_errors("replay.record"):
        rec.fail(exc)


def _sync(original: Callable[..., Any], tee: type[Any]) -> Callable[..., Any]:
    def handle_request(self: Any, request: Any) -> Any:
        rec = _safe_begin(request)
        if rec is None:
            return original(self, request)
        try:
            response = original(self, request)
        except Exception as exc:
            _failed(rec, exc)
            raise
        _attach(rec, response, tee)
        return response

    return handle_request


def _async(original: Callable[..., Any], tee: type[Any]) -> Callable[..., Any]:
    async def handle_async_request(self: Any, request: Any) -> Any:
        rec = _safe_begin(request)
        if rec is None:
            return await original(self, request)
        try:
            response = await original(self, request)
        except Exception as exc:
            _failed(rec, exc)
            raise
        _attach(rec, response, tee)
        return response

    return handle_async_request


_originals: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {}


def install(lib: ModuleType) -> None:
    """Patch ``lib.HTTPTransport.handle_request`` and ``lib.AsyncHTTPTransport.handle_async_request`` (once)."""
    if lib.__name__ in _originals:
        return
    sync_tee, async_tee = _tee_classes(lib)
    originals = (lib.HTTPTransport.handle_request, lib.AsyncHTTPTransport.handle_async_request)
    _originals[lib.__name__] = originals
    lib.HTTPTransport.handle_request = _sync(originals[0], sync_tee)
    lib.AsyncHTTPTransport.handle_async_request = _async(originals[1], async_tee)


def uninstall(lib: ModuleType) -> None:
    """Restore ``lib``'s transports."""
    originals = _originals.pop(lib.__name__, None)
    if originals is not None:
        lib.HTTPTransport.handle_request, lib.AsyncHTTPTransport.handle_async_request = originals
