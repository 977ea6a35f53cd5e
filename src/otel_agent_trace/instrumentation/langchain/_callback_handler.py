"""The LangChain callback handler that turns runs (chains, graph nodes, LLMs, tools, retrievers) into spans.

Spans are keyed by LangChain's ``run_id``; a run's parent span is the span of its ``parent_run_id``, so parentage
survives LangGraph's thread pools and asyncio tasks. A run without a (traced) parent gets the current OTel context.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from opentelemetry.trace import SpanKind

from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace._internal.replay import mark_result_kind
from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import gen_ai as G
from otel_agent_trace.semconv import tool as T

from . import _extract as X
from ._chains import ChainCallbacks
from ._runs import _LLM, _RETRIEVER, _TOOL, _name_provider, _Run


class OTelCallbackHandler(ChainCallbacks):
    """Records LangChain and LangGraph runs as OpenTelemetry spans (see the package docstring)."""

    run_inline = True
    """Called in the runnable's own context, also from async callback managers (so spans can be made current)."""

    # ------------------------------------------------------------------ LLMs and chat models

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[Any]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Start a ``chat {model}`` CLIENT span."""
        if not self._enabled():
            return
        with handle_internal_errors("langchain.on_chat_model_start"):
            self._note_retry(parent_run_id, tags)
            capture = self._capture()
            attrs = self._llm_attributes(serialized, metadata, kwargs, G.GenAiOperationNameValues.CHAT.value)
            if capture and messages:
                X.input_messages_attributes(messages[0], attrs)
            self._llm_start(run_id, parent_run_id, attrs, metadata)

    def on_llm_start(
        self,
        serialized: dict[str, Any],
        prompts: list[str],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Start a ``text_completion {model}`` CLIENT span."""
        if not self._enabled():
            return
        with handle_internal_errors("langchain.on_llm_start"):
            self._note_retry(parent_run_id, tags)
            op = G.GenAiOperationNameValues.TEXT_COMPLETION.value
            attrs = self._llm_attributes(serialized, metadata, kwargs, op)
            if self._capture() and prompts:
                X.prompts_attributes(prompts, attrs)
            self._llm_start(run_id, parent_run_id, attrs, metadata)

    def _llm_attributes(
        self,
        serialized: Mapping[str, Any] | None,
        metadata: Mapping[str, Any] | None,
        kwargs: Mapping[str, Any],
        operation: str,
    ) -> dict[str, Any]:
        params = kwargs.get("invocation_params")
        params = params if isinstance(params, Mapping) else None
        attrs: dict[str, Any] = {
            G.GEN_AI_OPERATION_NAME: operation,
            G.GEN_AI_PROVIDER_NAME: X.provider_name(metadata, serialized),
            A.AGENT_STEP_ACTION_TYPE: A.AgentStepActionTypeValues.LLM_CALL.value,
        }
        model = X.request_model(metadata, params)
        if model:
            attrs[G.GEN_AI_REQUEST_MODEL] = model
        X.request_attributes(metadata, params, attrs)
        return attrs

    def _llm_start(
        self, run_id: UUID, parent_run_id: UUID | None, attrs: dict[str, Any], metadata: Mapping[str, Any] | None
    ) -> None:
        provider_usage = X.provider_span_expected(metadata)
        attrs[A.LLM_USAGE_SOURCE] = "provider" if provider_usage else "framework"
        model = attrs.get(G.GEN_AI_REQUEST_MODEL)
        op = attrs[G.GEN_AI_OPERATION_NAME]
        span_name = f"{op} {model}" if model else str(op)
        parent = self._parent(parent_run_id)
        run = self._start(run_id, parent_run_id, _LLM, str(model or op), span_name, SpanKind.CLIENT, attrs, parent,
                          parent_run_id is not None or parent is not None)  # fmt: skip
        run.usage = not provider_usage
        _name_provider(run.agent, attrs.get(G.GEN_AI_PROVIDER_NAME))

    def on_llm_new_token(self, token: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Record the time to the first streamed chunk."""
        run = self._runs.get(run_id)
        if run is None or run.start_ns < 0:
            return
        with handle_internal_errors("langchain.on_llm_new_token"):
            elapsed = (time.monotonic_ns() - run.start_ns) / 1e9
            run.start_ns = -1
            run.span.set_attribute(G.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, elapsed)
            run.span.set_attribute(G.GEN_AI_REQUEST_STREAM, True)

    def on_llm_end(self, response: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any) -> None:
        """End the LLM span with response attributes and (unless a provider span has them) token usage."""
        self._end(run_id, response, "langchain.on_llm_end", self._llm_end)

    def _llm_end(self, run: _Run, response: Any) -> None:
        attrs: dict[str, Any] = {}
        X.response_attributes(response, attrs, usage=run.usage, capture=self._capture())
        run.span.set_attributes(attrs)

    def on_llm_error(
        self, error: BaseException, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        """End the LLM span with the error."""
        self._fail(run_id, error, "langchain.on_llm_error")

    # ------------------------------------------------------------------ tools

    def on_tool_start(
        self,
        serialized: dict[str, Any],
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Start an ``execute_tool {name}`` span."""
        if not self._enabled():
            return
        with handle_internal_errors("langchain.on_tool_start"):
            self._note_retry(parent_run_id, tags)
            name = (serialized or {}).get("name") or kwargs.get("name") or "tool"
            attrs: dict[str, Any] = {
                G.GEN_AI_OPERATION_NAME: G.GenAiOperationNameValues.EXECUTE_TOOL.value,
                G.GEN_AI_TOOL_NAME: str(name),
                G.GEN_AI_TOOL_TYPE: G.GenAiToolTypeValues.FUNCTION.value,
                A.AGENT_STEP_ACTION_TYPE: A.AgentStepActionTypeValues.TOOL_CALL.value,
            }
            call_id = kwargs.get("tool_call_id") or (metadata or {}).get("tool_call_id")
            if isinstance(call_id, str) and call_id:
                attrs[G.GEN_AI_TOOL_CALL_ID] = call_id
            description = (serialized or {}).get("description")
            if isinstance(description, str) and description:
                attrs[G.GEN_AI_TOOL_DESCRIPTION] = description
            if self._capture():
                attrs[G.GEN_AI_TOOL_CALL_ARGUMENTS] = safe_json_dumps(inputs if inputs is not None else input_str)
            parent = self._parent(parent_run_id)
            self._start(run_id, parent_run_id, _TOOL, str(name), f"execute_tool {name}", SpanKind.INTERNAL, attrs,
                        parent, True)  # fmt: skip

    def on_tool_end(self, output: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any) -> None:
        """End the tool span with its result (content capture) and latency."""
        self._end(run_id, output, "langchain.on_tool_end", self._tool_end)

    def _tool_end(self, run: _Run, output: Any) -> None:
        span = run.span
        status = "error" if getattr(output, "status", None) == "error" else "ok"
        span.set_attribute(T.TOOL_STATUS, status)
        span.set_attribute(T.TOOL_LATENCY_MS, (time.monotonic_ns() - run.start_ns) / 1e6)
        if self._capture():
            result = X.tool_result(output)
            span.set_attribute(G.GEN_AI_TOOL_CALL_RESULT, safe_json_dumps(result))
            mark_result_kind(span, result)

    def on_tool_error(
        self, error: BaseException, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        """End the tool span with the error (status ERROR, ``error.type``)."""
        self._fail(run_id, error, "langchain.on_tool_error")

    # ------------------------------------------------------------------ retrievers

    def on_retriever_start(
        self,
        serialized: dict[str, Any],
        query: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Start a ``retrieval {name}`` span."""
        if not self._enabled():
            return
        with handle_internal_errors("langchain.on_retriever_start"):
            name = kwargs.get("name") or (serialized or {}).get("name") or "retriever"
            attrs: dict[str, Any] = {
                G.GEN_AI_OPERATION_NAME: G.GenAiOperationNameValues.RETRIEVAL.value,
                G.GEN_AI_DATA_SOURCE_ID: str(name),
                A.AGENT_STEP_ACTION_TYPE: A.AgentStepActionTypeValues.RETRIEVAL.value,
            }
            if self._capture():
                attrs[G.GEN_AI_RETRIEVAL_QUERY_TEXT] = str(query)
            parent = self._parent(parent_run_id)
            self._start(run_id, parent_run_id, _RETRIEVER, str(name), f"retrieval {name}", SpanKind.INTERNAL, attrs,
                        parent, True)  # fmt: skip

    def on_retriever_end(
        self, documents: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        """End the retrieval span with the documents (content capture)."""
        self._end(run_id, documents, "langchain.on_retriever_end", self._retriever_end)

    def _retriever_end(self, run: _Run, documents: Any) -> None:
        if self._capture():
            run.span.set_attribute(A.AGENT_STEP_OUTPUT, X.documents_json(documents))

    def on_retriever_error(
        self, error: BaseException, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        """End the retrieval span with the error."""
        self._fail(run_id, error, "langchain.on_retriever_error")
