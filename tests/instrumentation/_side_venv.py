"""A virtualenv of its own for tests whose libraries cannot live in the project's environment (CrewAI, peers).

`SideVenv.ensure` makes (or reuses) ``<repo>/<name>``: it is reused while its requirements, the Python version and
``pyproject.toml`` are unchanged (a hash of them is kept in the venv), and carries a ``.gitignore`` so git, ruff and
other tools leave it alone. `SideVenv.pytest` runs a test directory in it and asserts it passed. A failed install
(the package registry out of reach included) fails the test: CI reaches the registry.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
KEY_FILE = ".otel-agent-trace-key"
INSTALL_TIMEOUT = 900
TEST_TIMEOUT = 900


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


@dataclass(frozen=True)
class SideVenv:
    """``<repo>/<name>`` with ``requirements`` and this package (editable) installed by ``installs``."""

    name: str
    requirements: tuple[str, ...]
    installs: tuple[tuple[str, tuple[str, ...]], ...]
    """(what, pip install arguments) steps, in order; ``{repo}`` in an argument is the repository's path."""

    @property
    def path(self) -> Path:
        return REPO / self.name

    @property
    def python(self) -> Path:
        return self.path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")

    def _key(self) -> str:
        digest = hashlib.sha256()
        digest.update("\n".join(self.requirements).encode())
        digest.update(f"{sys.version_info[:2]}".encode())
        digest.update((REPO / "pyproject.toml").read_bytes())
        return digest.hexdigest()

    def ensure(self) -> None:
        """Make the venv, or reuse it while its key is unchanged."""
        key = self._key()
        marker = self.path / KEY_FILE
        if marker.is_file() and marker.read_text() == key and self.python.exists():
            (self.path / ".gitignore").write_text("*\n")
            return
        shutil.rmtree(self.path, ignore_errors=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(self.path)
        (self.path / ".gitignore").write_text("*\n")  # git, ruff and other tools then leave the venv alone
        for what, arguments in self.installs:
            args = [a.replace("{repo}", str(REPO)) for a in arguments]
            _check(_run([str(self.python), "-m", "pip", "install", "--quiet", *args], INSTALL_TIMEOUT), what)
        marker.write_text(key)

    def pytest(self, directory: str, extra: Sequence[str] = ()) -> None:
        """Run ``pytest directory`` in the venv and assert it passed (something passed, nothing failed)."""
        self.ensure()
        args = [str(self.python), "-m", "pytest", directory, "-q", "-p", "no:cacheprovider", *extra]
        result = _run(args, TEST_TIMEOUT)
        _check(result, f"pytest {directory} (in {self.name})")
        assert " passed" in result.stdout and " failed" not in result.stdout, result.stdout[-8000:]
