"""The cassette server: serves recorded HTTP exchanges and tool results to a replayed program, in recorded order.

Tool calls are matched by name and occurrence (the n-th call of ``search`` gets the n-th recorded result) and
checked by the fingerprint of their arguments; HTTP requests are matched in recorded order by method, path and
body hash. A request that is not the next recorded one may still be served by an exact fingerprint match elsewhere
in the recording or in a baseline run; otherwise it runs live (``allow_live``) or stops the replay as diverged.
"""

from __future__ import annotations

import importlib
import json
import threading
from typing import Any

from otel_agent_trace._internal.replay import NOT_SERVED, ReplayStop, arguments_hash
from otel_agent_trace.rca._replay_cassette import tool_name

from ._llm_override import UnknownShape, rewrite

__all__ = ["CassetteServer", "RecordedToolError"]


class RecordedToolError(Exception):
    """Raised by a replayed tool whose recorded call raised an exception that cannot be rebuilt by its type."""


def _decode(entry: dict[str, Any]) -> Any:
    result = entry.get("result")
    kind = entry.get("kind")
    if kind == "str":
        return result
    try:
        return json.loads(result) if isinstance(result, str) else result
    except ValueError:
        return result  # recorded without record_replay ("auto"), or text the serializer made: the text itself


def _exception(entry: dict[str, Any]) -> Exception:
    name, message = str(entry.get("error_type") or "Exception"), str(entry.get("error_message") or "")
    module, _, qualname = name.rpartition(".")
    try:
        obj: Any = importlib.import_module(module or "builtins")
        for part in qualname.split("."):
            obj = getattr(obj, part)
        if isinstance(obj, type) and issubclass(obj, Exception):
            return obj(message)
    except Exception:  # noqa: BLE001 - not importable, or its constructor wants other arguments
        pass
    return RecordedToolError(f"{name}: {message}")


def _args_hash(entry: dict[str, Any]) -> str | None:
    """The recorded call's arguments fingerprint: the manual API's, else that of a framework tool's arguments text."""
    digest = entry.get("args_hash")
    if digest is None and isinstance(entry.get("args_full"), str):
        digest = entry["args_hash"] = arguments_hash(entry["args_full"])
    return digest if isinstance(digest, str) else None


class CassetteServer:
    """Implements `otel_agent_trace._internal.replay.ReplayServer` over a cassette (thread-safe)."""

    def __init__(self, cassette: dict[str, Any]) -> None:
        self.http: list[dict[str, Any]] = list(cassette.get("http", ()))
        self.tools: dict[str, list[dict[str, Any]]] = dict(cassette.get("tools", {}))
        self.pool_http: list[dict[str, Any]] = list(cassette.get("pool_http", ()))
        self.pool_tools: dict[str, list[dict[str, Any]]] = dict(cassette.get("pool_tools", {}))
        self.allow_live = bool(cassette.get("allow_live", False))
        self.overrides = {(o["kind"], o["name"], int(o["index"])): o for o in cassette.get("overrides", ())}
        self.cursor = 0
        self.used: set[int] = set()
        self.counts: dict[tuple[str, str], int] = {}
        self.served = self.live = self.refused = 0
        self.overridden: list[str] = []
        self.notes: list[str] = []
        self.diverged_at: str | None = None
        self.problem: str | None = None
        self._lock = threading.RLock()

    # -- ReplayServer ---------------------------------------------------------------------------------------------
    def occurrence(self, kind: str, name: str) -> int:
        with self._lock:
            index = self.counts.get((kind, name), 0)
            self.counts[(kind, name)] = index + 1
            return index

    def serve(self, kind: str, name: str, index: int, arguments: str | None) -> Any:
        try:
            found = self._serve(kind, name, index, arguments)
        except ReplayStop:
            raise
        except Exception as exc:  # noqa: BLE001 - a fault of ours (a malformed cassette) stops the replay, clearly
            self.stop_problem(f"replay runner fault serving {kind} {name}: {type(exc).__name__}: {exc}")
        if isinstance(found, dict):
            if found.get("kind") == "error":
                raise _exception(found)
            return _decode(found)
        return found[0] if isinstance(found, tuple) else found

    def _serve(self, kind: str, name: str, index: int, arguments: str | None) -> Any:
        """The recorded entry to serve, ``(override value,)``, or `NOT_SERVED`."""
        with self._lock:
            override = self.overrides.get((kind, name, index))
            if override is not None:
                self.overridden.append(str(override["span_id"]))
                return (override["value"],)
            if kind != "tool":
                return NOT_SERVED
            entry = self._tool_entry(name, index, arguments)
            if entry is None:
                return self._unmatched_tool(name, index, arguments)
            if entry.get("problem"):
                self.stop_problem(str(entry["problem"]))
            self.served += 1
            return entry

    # -- tools ----------------------------------------------------------------------------------------------------
    def _tool_entry(self, name: str, index: int, arguments: str | None) -> dict[str, Any] | None:
        recorded = self.tools.get(name, [])
        digest = arguments_hash(arguments) if arguments is not None else None
        if index < len(recorded):
            entry = recorded[index]
            if digest is None or _args_hash(entry) in (None, digest):
                return entry
        if digest is None:
            return None
        for entry in (*recorded, *self.pool_tools.get(name, [])):
            if _args_hash(entry) == digest and not entry.get("problem"):
                return entry
        return None

    def _unmatched_tool(self, name: str, index: int, arguments: str | None) -> Any:
        if self.allow_live:
            self.live += 1
            return NOT_SERVED
        recorded = self.tools.get(name, [])
        tool = tool_name(name)
        got = f"{tool}({(arguments or '')[:160]})"
        if index < len(recorded):
            entry = recorded[index]
            self.diverge(f"{entry['label']}: expected {tool}({entry.get('args') or ''}), got {got}")
        self.diverge(
            f"span execute_tool {tool} (#{index + 1}): expected no such call ({len(recorded)} recorded), got {got}"
        )
        return NOT_SERVED  # not reached: diverge raises

    # -- HTTP -----------------------------------------------------------------------------------------------------
    def serve_http(self, method: str, path: str, digest: str, summary: str) -> dict[str, Any] | object:
        """The recorded exchange for this request, `NOT_SERVED` (go live), or raise `ReplayStop`."""
        try:
            return self._serve_http(method, path, digest, summary)
        except ReplayStop:
            raise
        except Exception as exc:
            self.stop_problem(f"replay runner fault serving {summary}: {type(exc).__name__}: {exc}")
            raise  # not reached: stop_problem raises

    def _serve_http(self, method: str, path: str, digest: str, summary: str) -> dict[str, Any] | object:
        with self._lock:
            key = (method, path, digest)
            entry: dict[str, Any] | None = None
            if self.cursor < len(self.http) and self._key(self.http[self.cursor]) == key:
                entry = self.http[self.cursor]
                self.used.add(self.cursor)
                self.cursor += 1
            else:
                entry = self._elsewhere(key)
            if entry is None:
                if self.allow_live:
                    self.live += 1
                    return NOT_SERVED
                if self.cursor < len(self.http):
                    expected = self.http[self.cursor]
                    self.diverge(
                        f"{expected['label']}: expected {expected['summary']} (body {expected['hash']}), "
                        f"got {summary} (body {digest})"
                    )
                self.diverge(
                    f"after the last recorded request ({len(self.http)} served): expected no further request, "
                    f"got {summary} (body {digest})"
                )
            assert entry is not None
            if entry.get("problem"):
                self.stop_problem(str(entry["problem"]))
            self.served += 1
            override = entry.get("override")
            return entry if override is None else self._overridden_response(entry, override)

    def _overridden_response(self, entry: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
        """``entry`` with its body rewritten to answer the override's text (an LLM span's output replaced)."""
        try:
            body = rewrite(str(entry.get("body") or ""), str(override["text"]))
        except UnknownShape as exc:
            self.stop_problem(f"{entry['label']}: its recorded response cannot be replaced ({exc})")
        self.overridden.append(str(override["span_id"]))
        return {**entry, "body": body, "body_encoding": "utf-8"}

    @staticmethod
    def _key(entry: dict[str, Any]) -> tuple[Any, Any, Any]:
        return entry.get("method"), entry.get("path"), entry.get("hash")

    def _elsewhere(self, key: tuple[str, str, str]) -> dict[str, Any] | None:
        for i in range(self.cursor + 1, len(self.http)):
            if i not in self.used and self._key(self.http[i]) == key:
                self.used.add(i)
                return self.http[i]
        for entry in self.pool_http:
            if self._key(entry) == key and not entry.get("problem"):
                return entry
        return None

    def note_outside(self, *, live: bool) -> None:
        """Count a request made outside any span (not part of the recorded run): gone live, or refused."""
        with self._lock:
            if live:
                self.live += 1
            else:
                self.refused += 1

    # -- stopping -------------------------------------------------------------------------------------------------
    def diverge(self, where: str) -> None:
        """Note the first divergence and stop the program."""
        if self.diverged_at is None:
            self.diverged_at = where
        raise ReplayStop(f"replay diverged at {where}")

    def stop_problem(self, problem: str) -> None:
        """Note a recording that cannot be served and stop the program."""
        if self.problem is None:
            self.problem = problem
        raise ReplayStop(problem)

    def report(self) -> dict[str, Any]:
        """Counts, divergence, problem and notes for `rca.replay`."""
        with self._lock:
            notes = list(self.notes)
            unserved = len(self.http) - len(self.used)
            if unserved and self.diverged_at is None and self.problem is None:
                notes.append(f"{unserved} of {len(self.http)} recorded HTTP responses were not requested")
            if self.refused:
                notes.append(f"{self.refused} HTTP request(s) made outside any span were refused (no network)")
            applied = set(self.overridden)
            for o in self.overrides.values():
                if str(o["span_id"]) not in applied:
                    notes.append(f"the override of span {o['span_id']} ({o['kind']} {o['name']}) was never reached")
            detail = f"replay diverged at {self.diverged_at}" if self.diverged_at else None
            return {
                "served": self.served,
                "live": self.live,
                "overridden": list(dict.fromkeys(self.overridden)),
                "diverged_at": self.diverged_at,
                "problem": self.problem,
                "detail": detail,
                "notes": notes,
            }
