"""Run the peer-instrumentor tests (``tests/peers_env``) in their own virtualenv, ``<repo>/.venv-peers``.

OpenInference, OpenLLMetry and openai-v2 patch the same SDK methods as ours, and instrumenting them in the project's
environment would change every other test; so they live in a virtualenv of their own. This test makes (or reuses)
it with the peers (pinned), the SDKs, this package (editable) and pytest, then runs ``python -m pytest
tests/peers_env`` in it. The virtualenv is reused while the requirements and ``pyproject.toml`` are unchanged (a
hash of them is kept in the venv). A failed install (the package registry out of reach included) fails the test:
CI reaches the registry.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
VENV = REPO / ".venv-peers"
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
KEY_FILE = ".otel-agent-trace-key"
INSTALL_TIMEOUT = 900
TEST_TIMEOUT = 900


def _key() -> str:
    digest = hashlib.sha256()
    digest.update("\n".join(REQUIREMENTS).encode())
    digest.update(f"{sys.version_info[:2]}".encode())
    digest.update((REPO / "pyproject.toml").read_bytes())
    return digest.hexdigest()


def _python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _run(args: list[str], timeout: int) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTEST_ADDOPTS")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return subprocess.run(
        args, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False
    )


def _check(result: subprocess.CompletedProcess[str], what: str) -> None:
    assert result.returncode == 0, (
        f"{what} failed ({result.returncode}):\n{result.stdout[-8000:]}\n{result.stderr[-8000:]}"
    )


def _ensure_venv() -> None:
    key = _key()
    marker = VENV / KEY_FILE
    if marker.is_file() and marker.read_text() == key and _python().exists():
        (VENV / ".gitignore").write_text("*\n")
        return
    shutil.rmtree(VENV, ignore_errors=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    (VENV / ".gitignore").write_text("*\n")  # git, ruff and other tools then leave the venv alone
    install = [str(_python()), "-m", "pip", "install", "--quiet", *REQUIREMENTS, "-e", str(REPO)]
    _check(_run(install, INSTALL_TIMEOUT), "pip install (peers and this package)")
    marker.write_text(key)


def test_peers_suite_passes_in_its_own_venv() -> None:
    _ensure_venv()
    result = _run(
        [
            str(_python()),
            "-m",
            "pytest",
            "tests/peers_env",
            "-q",
            "-p",
            "no:cacheprovider",
            "-W",
            "ignore::DeprecationWarning",
        ],
        TEST_TIMEOUT,
    )
    _check(result, "pytest tests/peers_env (in .venv-peers)")
    assert " passed" in result.stdout and " failed" not in result.stdout, result.stdout[-8000:]
