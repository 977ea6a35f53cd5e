"""The Phoenix server's own virtualenv, ``<repo>/.venv-phoenix`` (built by `PHOENIX_VENV.ensure`).

Phoenix is a server with a large dependency tree (its own OpenTelemetry, SQLAlchemy, Strawberry...), so it lives in
a virtualenv of its own; the spans are made and exported from the project's environment. Unlike the CrewAI and peers
venvs, this one does not install this package, so its key leaves ``pyproject.toml`` out: only the requirements and
the Python version rebuild it.
"""

from __future__ import annotations

import hashlib
import sys

from tests.instrumentation._side_venv import SideVenv

PHOENIX_REQUIREMENT = "arize-phoenix==20.26.1"
REQUIREMENTS = (PHOENIX_REQUIREMENT,)
PHOENIX_PYTHON = (3, 11)
"""Oldest Python that requirement installs on (its ``Requires-Python``)."""


class ServerVenv(SideVenv):
    """A `SideVenv` for a server: reused while its requirements and the Python version are unchanged."""

    def _key(self) -> str:
        digest = hashlib.sha256()
        digest.update("\n".join(self.requirements).encode())
        digest.update(f"{sys.version_info[:2]}".encode())
        return digest.hexdigest()


PHOENIX_VENV = ServerVenv(".venv-phoenix", REQUIREMENTS, (("pip install arize-phoenix", REQUIREMENTS),))
