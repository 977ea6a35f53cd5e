"""Run the peer-instrumentor tests (``tests/peers_env``) in their own virtualenv, ``<repo>/.venv-peers``.

OpenInference, OpenLLMetry and openai-v2 patch the same SDK methods as ours, and instrumenting them in the project's
environment would change every other test; so they live in a virtualenv of their own. This test makes (or reuses)
it with the peers (pinned), the SDKs, this package (editable) and pytest, then runs ``python -m pytest
tests/peers_env`` in it. The virtualenv is reused while the requirements and ``pyproject.toml`` are unchanged (a
hash of them is kept in the venv). A failed install (the package registry out of reach included) fails the test:
CI reaches the registry.
"""

from __future__ import annotations

from tests.instrumentation._side_venv import SideVenv

REQUIREMENTS = (
    "openai>=1.40",
    "anthropic>=0.40",
    "httpx>=0.23",  # openai-v2 imports it, whatever the openai SDK uses
    "openinference-instrumentation-openai==0.1.66",
    "openinference-instrumentation-anthropic==3.1.0",
    "opentelemetry-instrumentation-openai==0.62.4",
    "opentelemetry-instrumentation-anthropic==0.62.4",
    "opentelemetry-instrumentation-openai-v2==2.4b0",
    "opentelemetry-util-genai>=1.0b0,<1.2",  # openai-v2 2.4b0 imports util.genai.instruments, gone in 1.2b0
    "pytest>=8",
)
VENV = SideVenv(
    ".venv-peers",
    REQUIREMENTS,
    (("pip install (peers and this package)", (*REQUIREMENTS, "-e", "{repo}")),),
)


def test_peers_suite_passes_in_its_own_venv() -> None:
    VENV.pytest("tests/peers_env", ("-W", "ignore::DeprecationWarning"))
