"""Run the Google ADK tests (``tests/adk_env``) in their own virtualenv, ``<repo>/.venv-adk``.

``google-adk`` 2.x pins ``opentelemetry-api/sdk<=1.44``; the project's environment has a newer SDK, so ADK cannot be
installed beside it. This test makes (or reuses) a virtualenv with ``google-adk``, the OpenTelemetry packages at the
newest version ADK accepts, this package (editable) and pytest, then runs ``python -m pytest tests/adk_env`` in it.
The virtualenv is reused while the requirements and ``pyproject.toml`` are unchanged. A failed install (the package
registry out of reach included) fails the test.

The venv is built with the running Python, so the ADK it gets follows it: google-adk 2.13 on Python 3.11+ (its
semconv-aligned span schema by default), 2.11 on Python 3.10 (its legacy schema, ``invocation`` / ``call_llm``, by
default). ``tests/adk_env`` runs every test with ADK's default schema and with the legacy one forced, so both ADK
releases and both schemas are covered.
"""

from __future__ import annotations

from tests.instrumentation._side_venv import SideVenv

OTEL_PINS = (
    "opentelemetry-api<=1.44",
    "opentelemetry-sdk<=1.44",
    "opentelemetry-exporter-otlp<=1.44",
    "opentelemetry-exporter-otlp-proto-grpc<=1.44",
    "opentelemetry-exporter-otlp-proto-http<=1.44",
)
REQUIREMENTS = ("google-adk>=2,<3", *OTEL_PINS, "pytest>=8", "pytest-asyncio>=0.23")
VENV = SideVenv(
    ".venv-adk",
    REQUIREMENTS,
    (("pip install google-adk", REQUIREMENTS), ("pip install -e .", ("-e", "{repo}", *OTEL_PINS))),
)


def test_adk_suite_passes_in_its_own_venv() -> None:
    VENV.pytest("tests/adk_env", ("-W", "ignore::DeprecationWarning", "-W", "ignore::UserWarning"))
