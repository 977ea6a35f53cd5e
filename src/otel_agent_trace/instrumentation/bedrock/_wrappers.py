"""The wrapper of botocore's ``BaseClient._make_api_call``: one span per Bedrock Runtime model call.

Every botocore call passes through ``_make_api_call(operation_name, api_params)``. A call to another service, or
to a Bedrock operation that is not a model call, goes straight through after two attribute reads and a set
lookup. A model call (``Converse``, ``ConverseStream``, ``InvokeModel``, ``InvokeModelWithResponseStream``) runs
exactly once outside our error guard, with our span current and HTTP instrumentation suppressed (unless
``capture_http``), then its result is recorded:

- ``converse``: the parsed response dict.
- ``invoke_model``: the response ``body`` is read (the model's JSON is where the usage is) and replaced by a new
  ``StreamingBody`` over the same bytes, so the program reads exactly what it would have read.
- the two streams: the ``EventStream`` in the response dict is replaced by a transparent proxy
  (``isinstance(..., EventStream)`` still holds) that ends the span when the stream is exhausted, raises, is
  closed or is garbage-collected unread.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, ClassVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from otel_agent_trace._internal.context import is_enabled, is_llm_instrumentation_enabled
from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace.instrumentation import _llm
from otel_agent_trace.instrumentation._genai import url_server_attributes
from otel_agent_trace.instrumentation._peers import start_llm_span
from otel_agent_trace.semconv.agent import AGENT_STEP_ACTION_TYPE
from otel_agent_trace.semconv.error import ERROR_CODE
from otel_agent_trace.semconv.gen_ai import (
    GEN_AI_OPERATION_NAME,
    GEN_AI_PROVIDER_NAME,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_REQUEST_STREAM,
)

from . import _converse, _invoke

LIBRARY = "bedrock"
PROVIDER = "aws.bedrock"
SERVICE = "bedrock-runtime"
CONVERSE = "Converse"
CONVERSE_STREAM = "ConverseStream"
INVOKE = "InvokeModel"
INVOKE_STREAM = "InvokeModelWithResponseStream"
_OPERATIONS = frozenset({CONVERSE, CONVERSE_STREAM, INVOKE, INVOKE_STREAM})


class Config:
    """What the wrapper of one ``instrument()`` shares."""

    __slots__ = ("capture", "capture_http", "tracer")

    def __init__(self, tracer: trace.Tracer, capture: Callable[[], bool], capture_http: bool) -> None:
        self.tracer = tracer
        self.capture = capture
        self.capture_http = capture_http


class LLMCall(_llm.LLMCall):
    """One Bedrock model call."""

    __slots__ = ()
    where: ClassVar[str] = "bedrock"

    def error_attributes(self, exc: BaseException) -> Mapping[str, Any]:
        """``agent_trace.error.code`` = the AWS error code (``ThrottlingException``...) of a ``ClientError``."""
        return error_attributes(exc)


def error_attributes(exc: BaseException) -> dict[str, Any]:
    """The AWS error code of a botocore ``ClientError`` (``response["Error"]["Code"]``), if it has one."""
    response = getattr(exc, "response", None)
    error = response.get("Error") if isinstance(response, Mapping) else None
    code = error.get("Code") if isinstance(error, Mapping) else None
    return {ERROR_CODE: code} if isinstance(code, str) and code else {}


class _EventStreamProxy(_llm.StreamProxy):
    """Proxy of a botocore ``EventStream`` (iterable, not an iterator): read through ``iter()``."""

    def __init__(self, wrapped: Any, observer: _llm.StreamObserver) -> None:
        super().__init__(wrapped, observer)
        self._self_iterator = None
        self._self_iterator = iter(wrapped)


def _request_attributes(
    instance: Any, operation: str, params: Mapping[str, Any], capture: bool
) -> tuple[dict[str, Any], str, str | None]:
    model_id = params.get("modelId")
    attributes: dict[str, Any] = {GEN_AI_PROVIDER_NAME: PROVIDER}
    if isinstance(model_id, str):
        attributes[GEN_AI_REQUEST_MODEL] = model_id
    family: str | None = None
    if operation in (CONVERSE, CONVERSE_STREAM):
        op_name = "chat"
        _converse.inference_attributes(params.get("inferenceConfig"), attributes)
        _converse.additional_fields_attributes(params.get("additionalModelRequestFields"), attributes)
        if capture:
            _converse.content_request_attributes(params, attributes)
    else:
        family = _invoke.family(model_id)
        op_name = _invoke.operation(family)
        body = _invoke.parse_body(params.get("body"))
        _invoke.request_attributes(family, body, attributes)
        if capture:
            _invoke.content_request_attributes(family, body, attributes)
    attributes[GEN_AI_OPERATION_NAME] = op_name
    attributes[AGENT_STEP_ACTION_TYPE] = "embedding" if op_name == "embeddings" else "llm_call"
    if operation in (CONVERSE_STREAM, INVOKE_STREAM):  # set only on streamed requests (unset: not streamed)
        attributes[GEN_AI_REQUEST_STREAM] = True
    url_server_attributes(getattr(getattr(instance, "meta", None), "endpoint_url", None), attributes)
    name = f"{op_name} {model_id}" if isinstance(model_id, str) and model_id else op_name
    return attributes, name, family


def _start(config: Config, instance: Any, operation: str, params: Mapping[str, Any]) -> Any:
    started: Any = None
    with handle_internal_errors("bedrock.start_span"):
        capture = config.capture()
        attributes, name, family = _request_attributes(instance, operation, params, capture)
        start_ns = time.time_ns()
        span, token = start_llm_span(
            LIBRARY,
            config.tracer,
            name,
            kind=SpanKind.CLIENT,
            attributes=attributes,
            suppress_http=not config.capture_http,
            start_time=start_ns,
        )
        started = (LLMCall(span, capture, start_ns), token, family)
    return started


def _read_body(call: LLMCall, family: str | None, result: MutableMapping[str, Any]) -> None:
    """Read an ``invoke_model`` body, record what it says, and put an unread copy back."""
    body = result.get("body")
    read = getattr(body, "read", None)
    if not callable(read):
        call.end()
        return
    try:
        data = read()
    except Exception as exc:
        call.fail(exc)  # the program gets the same error, from invoke_model instead of from read()
        raise
    with handle_internal_errors("bedrock.invoke_body"):
        from botocore.response import StreamingBody  # type: ignore[import-untyped]

        result["body"] = StreamingBody(io.BytesIO(data), len(data))
        headers = result.get("ResponseMetadata", {}).get("HTTPHeaders")
        parsed = _invoke.parse_body(data) if family is not None else None  # unknown family: headers only
        call.span.set_attributes(_invoke.response_attributes(family, parsed, headers, capture=call.capture))
    call.end()


def _finish(call: LLMCall, operation: str, family: str | None, result: Any) -> Any:
    if not isinstance(result, MutableMapping):
        call.end()
        return result
    if operation == INVOKE:
        _read_body(call, family, result)
        return result
    with handle_internal_errors("bedrock.finish"):
        if operation == CONVERSE:
            call.span.set_attributes(_converse.response_attributes(result, capture=call.capture))
        else:
            key = "stream" if operation == CONVERSE_STREAM else "body"
            stream = result.get(key)
            if stream is not None:
                acc: Any = (
                    _converse.ConverseStreamAccumulator(call.capture)
                    if operation == CONVERSE_STREAM
                    else _invoke.InvokeStreamAccumulator(family, call.capture)
                )
                result[key] = _EventStreamProxy(stream, _llm.CallStreamObserver(call, acc))
                return result
    call.end()
    return result


def _arguments(args: Any, kwargs: Any) -> tuple[Any, Any]:
    if len(args) >= 2:
        return args[0], args[1]
    if len(args) == 1:
        return args[0], kwargs.get("api_params")
    return kwargs.get("operation_name"), kwargs.get("api_params")


def _is_bedrock(instance: Any) -> bool:
    model = getattr(instance, "_service_model", None)
    return getattr(model, "service_name", None) == SERVICE


class MakeApiCallWrapper:
    """``BaseClient._make_api_call``: traces Bedrock Runtime model calls, passes every other call through."""

    __slots__ = ("_config",)

    def __init__(self, config: Config) -> None:
        self._config = config

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not _is_bedrock(instance):
            return wrapped(*args, **kwargs)
        operation, params = _arguments(args, kwargs)
        if operation not in _OPERATIONS or not isinstance(params, Mapping):
            return wrapped(*args, **kwargs)
        if not (is_enabled() and is_llm_instrumentation_enabled()):
            return wrapped(*args, **kwargs)
        started = _start(self._config, instance, operation, params)
        if started is None:
            return wrapped(*args, **kwargs)
        call, token, family = started
        try:
            result = wrapped(*args, **kwargs)
        except Exception as exc:
            call.fail(exc)
            raise
        finally:
            otel_context.detach(token)
        return _finish(call, operation, family, result)
