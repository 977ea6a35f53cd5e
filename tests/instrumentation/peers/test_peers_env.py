"""Run the peer-instrumentor tests (``tests/peers_env``) in their own virtualenvs, ``<repo>/.venv-peers*``.

OpenInference, OpenLLMetry and the official contrib instrumentations patch the same SDK methods as ours, and
instrumenting them in the project's environment would change every other test; so they live in virtualenvs of their
own. This test makes (or reuses) them with the peers (pinned), the SDKs, this package (editable) and pytest, then runs
``python -m pytest tests/peers_env`` in them. A virtualenv is reused while its requirements and ``pyproject.toml``
are unchanged (a hash of them is kept in the venv). A failed install (the package registry out of reach included)
fails the test: CI reaches the registry.

Two virtualenvs, because two official peers cannot be installed together: ``opentelemetry-instrumentation-openai-v2``
2.4b0 imports ``opentelemetry.util.genai.instruments`` (gone in util-genai 1.2b0) and
``opentelemetry-instrumentation-google-genai`` 1.3b0 needs util-genai 1.3b0 or later. The google-genai contrib peer
and its test module (``tests/peers_env/test_peers_genai_contrib.py``) get ``.venv-peers-genai``.
"""

from __future__ import annotations

from tests.instrumentation._side_venv import SideVenv

CONTRIB_GENAI_TESTS = "tests/peers_env/test_peers_genai_contrib.py"
REQUIREMENTS = (
    "openai>=1.40",
    "anthropic>=0.40",
    "google-genai>=1.20",
    "boto3>=1.35",
    "httpx>=0.23",  # openai-v2 imports it, whatever the openai SDK uses
    "openinference-instrumentation-openai==0.1.66",
    "openinference-instrumentation-anthropic==3.1.0",
    "openinference-instrumentation-google-genai==1.4.14",
    "openinference-instrumentation-bedrock==0.1.61",
    "opentelemetry-instrumentation-openai==0.62.4",
    "opentelemetry-instrumentation-anthropic==0.62.4",
    "opentelemetry-instrumentation-google-generativeai==0.62.4",  # despite its name, it patches google.genai
    "opentelemetry-instrumentation-bedrock==0.62.4",
    "opentelemetry-instrumentation-openai-v2==2.4b0",
    "opentelemetry-instrumentation-botocore==0.66b2",
    "opentelemetry-util-genai>=1.0b0,<1.2",  # openai-v2 2.4b0 imports util.genai.instruments, gone in 1.2b0
    "pytest>=8",
)
VENV = SideVenv(
    ".venv-peers",
    REQUIREMENTS,
    (("pip install (peers and this package)", (*REQUIREMENTS, "-e", "{repo}")),),
)
GENAI_REQUIREMENTS = (
    "google-genai>=1.32,<3",  # the contrib peer instruments only these (with 3.x it logs and patches nothing)
    "opentelemetry-instrumentation-google-genai==1.3b0",
    "opentelemetry-util-genai>=1.3b0",
    "pytest>=8",
)
GENAI_VENV = SideVenv(
    ".venv-peers-genai",
    GENAI_REQUIREMENTS,
    (("pip install (google-genai contrib peer and this package)", (*GENAI_REQUIREMENTS, "-e", "{repo}")),),
)


def test_peers_suite_passes_in_its_own_venv() -> None:
    VENV.pytest("tests/peers_env", ("-W", "ignore::DeprecationWarning", f"--ignore={CONTRIB_GENAI_TESTS}"))


def test_google_genai_contrib_peer_passes_in_its_own_venv() -> None:
    GENAI_VENV.pytest(CONTRIB_GENAI_TESTS, ("-W", "ignore::DeprecationWarning"))
