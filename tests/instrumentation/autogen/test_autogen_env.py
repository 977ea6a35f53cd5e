"""Run the AutoGen tests (``tests/autogen_env``) in their own virtualenv, ``<repo>/.venv-autogen``.

``autogen-core`` 0.7 pins ``protobuf~=5.29``; the project's environment has protobuf 7 (which the OTLP exporters'
generated code is built for), so AutoGen cannot be installed beside it. This test makes (or reuses) a virtualenv
with ``autogen-agentchat``, ``autogen-ext[openai]``, this package (editable) and pytest, then runs
``python -m pytest tests/autogen_env`` in it. The virtualenv is reused while the requirements and ``pyproject.toml``
are unchanged. A failed install (the package registry out of reach included) fails the test.
"""

from __future__ import annotations

from tests.instrumentation._side_venv import SideVenv

REQUIREMENTS = (
    "autogen-agentchat>=0.7,<0.8",
    "autogen-ext[openai]>=0.7,<0.8",
    "pytest>=8",
    "pytest-asyncio>=0.23",
)
VENV = SideVenv(
    ".venv-autogen",
    REQUIREMENTS,
    (("pip install autogen", REQUIREMENTS), ("pip install -e .", ("-e", "{repo}"))),
)


def test_autogen_suite_passes_in_its_own_venv() -> None:
    VENV.pytest("tests/autogen_env", ("-W", "ignore::DeprecationWarning"))
