"""Instrumentors patch a library on its first import, never import it themselves (real SDKs, fresh processes).

Every scenario runs in its own interpreter: the test process has imported the SDKs long ago. A patch is seen as
a wrapt ``FunctionWrapper`` in place of the method.
"""

from __future__ import annotations

import importlib
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from otel_agent_trace.instrumentation._base import AgentInstrumentor

SDKS = (
    "openai",
    "anthropic",
    "litellm",
    "langchain_core",
    "langgraph",
    "llama_index",
    "agents",
    "mcp",
    "crewai",
    "autogen_agentchat",
    "smolagents",
    "pydantic_ai",
    "requests",
    "httpx",
    "httpx2",
    "aiohttp",
    "urllib3",
    "google.genai",
    "botocore",
    "boto3",
)
"""Top-level packages none of which may be imported by ``init()`` or ``opentelemetry-instrument`` alone."""

PRELUDE = textwrap.dedent(
    f"""
    import sys
    import wrapt
    SDKS = {SDKS!r}

    def wrapped(owner, name):
        return isinstance(vars(owner).get(name), wrapt.FunctionWrapper)

    def loaded():
        return sorted(m for m in SDKS if m in sys.modules)

    def patched_openai():
        from openai.resources.chat.completions import AsyncCompletions, Completions
        from openai.resources.embeddings import Embeddings
        return all(wrapped(c, "create") for c in (Completions, AsyncCompletions, Embeddings))

    def patched_langchain():
        from langchain_core.callbacks import BaseCallbackManager
        return wrapped(BaseCallbackManager, "__init__")

    def patched_langgraph():
        from langgraph.pregel import Pregel
        return wrapped(Pregel, "stream")

    def patched_anthropic():
        from anthropic.resources.messages.messages import Messages
        return wrapped(Messages, "create")

    def patched_mcp():
        from mcp.client.session import ClientSession
        return wrapped(ClientSession, "call_tool")

    def patched_httpx():
        import httpx
        return wrapped(httpx.Client, "send")

    def patched_requests():
        import requests
        return wrapped(requests.Session, "send")
    """
)


def run_python(code: str, *, zero_code: bool = False, env: dict[str, str] | None = None) -> str:
    """Run ``code`` (after `PRELUDE`) in a fresh interpreter, optionally under ``opentelemetry-instrument``.

    Returns its standard output, then its standard error.
    """
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_") and k != "PYTHONPATH"}
    clean.update(
        {
            "OTEL_AGENT_TRACE_EXPORTER": "none",
            "OTEL_PYTHON_DISTRO": "agent_trace",
            "OTEL_PYTHON_CONFIGURATOR": "agent_trace",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        }
    )
    clean.update(env or {})
    args = [sys.executable, "-c", PRELUDE + textwrap.dedent(code)]
    if zero_code:
        args.insert(0, str(Path(sys.executable).parent / "opentelemetry-instrument"))
    result = subprocess.run(
        args, env=clean, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL, check=False
    )
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr[-6000:]}"
    return result.stdout + "\n" + result.stderr


def test_init_imports_no_sdk_and_patches_each_on_its_first_import() -> None:
    out = run_python(
        """
        from otel_agent_trace import init
        init(exporters="none")
        print("after init", loaded())
        import openai
        print("openai", patched_openai())
        import langchain_core
        print("langchain", patched_langchain())
        import langgraph.graph
        print("langgraph", patched_langgraph())
        print("mcp", patched_mcp(), "httpx", patched_httpx(), "requests", patched_requests())
        """
    )
    assert "after init []" in out
    assert "openai True" in out
    assert "langchain True" in out
    assert "langgraph True" in out
    assert "mcp True httpx True requests True" in out


def test_instrument_patches_at_once_a_library_already_imported() -> None:
    out = run_python(
        """
        import openai, anthropic, httpx
        from openai.resources.chat import completions  # the SDK loads its resources lazily: one loaded, one not
        from otel_agent_trace.instrumentation.anthropic import AnthropicInstrumentor
        from otel_agent_trace.instrumentation.httpx import HTTPXInstrumentor
        from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor
        for cls in (OpenAIInstrumentor, AnthropicInstrumentor, HTTPXInstrumentor):
            cls().instrument()
        print("now", wrapped(completions.Completions, "create"), patched_anthropic(), patched_httpx())
        print("later", patched_openai())
        OpenAIInstrumentor().uninstrument()
        print("undone", wrapped(completions.Completions, "create"))
        """
    )
    assert "now True True True" in out
    assert "later True" in out
    assert "undone False" in out


def test_uninstrument_before_the_import_cancels_the_patch() -> None:
    out = run_python(
        """
        from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor
        from otel_agent_trace.instrumentation.langchain import LangChainInstrumentor
        for cls in (OpenAIInstrumentor, LangChainInstrumentor):
            cls().instrument()
            cls().uninstrument()
        print("imported", loaded())
        import openai, langgraph.graph
        print("patched", patched_openai(), patched_langchain(), patched_langgraph())
        OpenAIInstrumentor().instrument()  # again, now that openai is imported: at once
        print("again", patched_openai())
        """
    )
    assert "imported []" in out
    assert "patched False False False" in out
    assert "again True" in out


def test_a_method_bound_before_instrumentation_stays_unpatched() -> None:
    """What docs/instrumentation.md says: a reference taken before init() keeps the original; a lookup is patched."""
    out = run_python(
        """
        import openai
        client = openai.OpenAI(api_key="sk-test", base_url="http://127.0.0.1:9/v1")
        early = client.chat.completions.create
        from otel_agent_trace import init
        init(exporters="none")
        late = client.chat.completions.create
        bound = wrapt.BoundFunctionWrapper
        print("early", isinstance(early, bound), "late", isinstance(late, bound))
        """
    )
    assert "early False late True" in out


# In-process checks of the hook machinery itself, on a throw-away module (no SDK is harmed).


class _Target(AgentInstrumentor):
    _module = "otel_lazy_probe"
    patched: list[Any]
    fail = False

    def instrumentation_dependencies(self) -> tuple[str, ...]:
        return ()

    def _patch(self, module: Any, **kwargs: Any) -> None:
        if self.fail:
            raise RuntimeError("patch failed")
        self.patched.append(module)
        module.VALUE = "patched"

    def _unpatch(self, **kwargs: Any) -> None:
        probe: Any = sys.modules["otel_lazy_probe"]
        probe.VALUE = "original"


@pytest.fixture
def probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[_Target]:
    (tmp_path / "otel_lazy_probe.py").write_text("VALUE = 'original'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "otel_lazy_probe", raising=False)
    inst = _Target()
    inst.patched = []
    inst.fail = False
    yield inst
    if inst.is_instrumented_by_opentelemetry:
        inst.uninstrument()
    sys.modules.pop("otel_lazy_probe", None)


def test_the_hook_patches_on_import_and_only_once(probe: _Target) -> None:
    probe.instrument()
    assert "otel_lazy_probe" not in sys.modules
    otel_lazy_probe = importlib.import_module("otel_lazy_probe")

    assert otel_lazy_probe.VALUE == "patched"
    assert probe.patched == [otel_lazy_probe]
    probe.uninstrument()
    assert otel_lazy_probe.VALUE == "original"


def test_a_failing_patch_never_fails_the_programs_import(probe: _Target, caplog: pytest.LogCaptureFixture) -> None:
    probe.fail = True
    probe.instrument()
    with caplog.at_level(logging.WARNING, logger="otel_agent_trace"):
        otel_lazy_probe = importlib.import_module("otel_lazy_probe")

    assert otel_lazy_probe.VALUE == "original"
    assert any("_Target.patch(otel_lazy_probe)" in r.getMessage() for r in caplog.records)


def test_reinstrument_after_uninstrument_patches_once(probe: _Target) -> None:
    probe.instrument()
    probe.uninstrument()
    probe.instrument()
    otel_lazy_probe = importlib.import_module("otel_lazy_probe")

    assert probe.patched == [otel_lazy_probe]  # the first, cancelled hook did nothing


def test_an_unsupported_version_is_logged_at_import_not_patched(
    probe: _Target, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_Target, "_instruments", ("pytest < 1",))
    probe.instrument()
    with caplog.at_level(logging.WARNING, logger="otel_agent_trace"):
        otel_lazy_probe = importlib.import_module("otel_lazy_probe")

    assert otel_lazy_probe.VALUE == "original"
    assert probe.patched == []
    assert any("_Target not enabled" in r.getMessage() for r in caplog.records)


def test_a_library_not_installed_raises_module_not_found_at_instrument() -> None:
    class Missing(AgentInstrumentor):
        _module = "otel_lazy_no_such_library.sub"

        def instrumentation_dependencies(self) -> tuple[str, ...]:
            return ()

    with pytest.raises(ModuleNotFoundError):
        Missing().instrument()
    assert not Missing().is_instrumented_by_opentelemetry
