"""google-genai: instrument() imports nothing, and the extractors survive any response or request shape."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from otel_agent_trace.instrumentation.google_genai import _extract, _stream


def test_instrument_defers_until_google_genai_is_imported() -> None:
    code = textwrap.dedent(
        """
        import sys
        from otel_agent_trace.instrumentation.google_genai import GoogleGenAIInstrumentor
        inst = GoogleGenAIInstrumentor()
        inst.instrument()
        assert "google.genai" not in sys.modules, "instrument() imported google.genai"
        from google import genai
        from google.genai import models
        assert type(models.Models.__dict__["_generate_content"]).__name__ == "FunctionWrapper"
        inst.uninstrument()
        assert type(models.Models.__dict__["_generate_content"]).__name__ == "function"
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")


_KEYS = [
    "text", "thought", "function_call", "function_response", "inline_data", "file_data", "executable_code",
    "code_execution_result", "parts", "role", "name", "args", "id", "mime_type", "temperature", "top_p", "top_k",
    "max_output_tokens", "seed", "stop_sequences", "system_instruction", "tools", "function_declarations",
    "output_dimensionality", "response", "file_uri",
]  # fmt: skip
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=8), st.binary(max_size=8)
)
_json = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.sampled_from(_KEYS), children, max_size=5)
    ),
    max_leaves=20,
)


def _objects(value: Any) -> Any:
    """The same shape as SDK model objects (attributes instead of keys)."""
    if isinstance(value, dict):
        return SimpleNamespace(**{k: _objects(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_objects(v) for v in value]
    return value


@settings(max_examples=150, deadline=None)
@given(contents=_json, config=_json)
def test_request_extractors_never_raise(contents: Any, config: Any) -> None:
    attributes: dict[str, Any] = {}
    kwargs = {"model": "m", "contents": contents, "config": config}
    attributes.update(_extract.request_attributes(SimpleNamespace(), "generate_content", kwargs, stream=False))
    _extract.content_request_attributes(kwargs, attributes)
    _extract.content_request_attributes({"contents": _objects(contents), "config": _objects(config)}, attributes)
    assert all(isinstance(k, str) for k in attributes)


@settings(max_examples=150, deadline=None)
@given(candidates=_json, usage=_json, reason=_scalars)
def test_response_extractors_never_raise(candidates: Any, usage: Any, reason: Any) -> None:
    candidate_list = candidates if isinstance(candidates, list) else [candidates]
    response = SimpleNamespace(
        candidates=[
            SimpleNamespace(content=_objects(c), finish_reason=reason, index=i) for i, c in enumerate(candidate_list)
        ],
        usage_metadata=_objects(usage),
        response_id=reason,
        model_version=reason,
    )
    for capture in (False, True):
        _extract.response_attributes(response, capture=capture)
        acc = _stream.StreamAccumulator(capture)
        acc.observe(response)
        acc.observe(response)
        acc.observe(SimpleNamespace())
        acc.attributes()
    _extract.embed_response_attributes(_objects({"embeddings": candidates}))
    _extract.error_attributes(RuntimeError())
