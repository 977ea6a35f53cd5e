"""An optional LLM judge: it re-ranks the top candidates of the blame, and its verdict is merged in, marked as such.

Off by default. The judge sees only the ``top_k`` most blamed spans, each with its evidence and bounded
neighbouring context (its parent, the spans just before and after it, inputs, outputs and errors), within
``max_chars`` characters in all (`DEFAULT_MAX_CHARS`, about 3,000 tokens). It answers with JSON:
``{"ranking": ["C2", "C1"], "rationale": "..."}``.

`merge_verdict` is pure: the candidates' blame mass is redistributed, ``weight`` of it by the judge's ranking and
the rest as before, so every score set still sums to 1; spans outside the top ``k`` keep their scores. The ranked
candidates get ``judge`` evidence. A judge that fails (no reply, timeout, not JSON, unknown candidates) leaves the
blame unchanged and says why in `JudgeOutcome.note`; nothing raises.

`OpenAIJudge` speaks the OpenAI chat-completions protocol (OpenAI, vLLM, Ollama, LiteLLM proxy...) over the
standard library's ``urllib``; its key comes from ``$OTEL_AGENT_TRACE_JUDGE_API_KEY``, else ``$OPENAI_API_KEY``.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable

from otel_agent_trace.model import Span, Trace

from .blame import BlameResult, StepBlame
from .signals import Evidence

JUDGE_API_KEY_ENV = "OTEL_AGENT_TRACE_JUDGE_API_KEY"
"""Environment variable holding the judge's API key (``OPENAI_API_KEY`` is the fallback)."""
JUDGE_BASE_URL_ENV = "OTEL_AGENT_TRACE_JUDGE_BASE_URL"
"""Environment variable holding the judge's base URL (default ``https://api.openai.com/v1``)."""
DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_TOP_K = 3
"""Candidates shown to the judge."""
DEFAULT_MAX_CHARS = 12_000
"""Budget of the whole prompt, in characters (about 3,000 tokens at 4 characters a token)."""
DEFAULT_WEIGHT = 0.7
"""Share of the candidates' blame redistributed by the judge's ranking (the rest keeps the analysis' scores)."""
_FIELD_CHARS = 600
_INPUT_KEYS = ("agent_trace.step.input", "gen_ai.tool.call.arguments", "gen_ai.input.messages")
_OUTPUT_KEYS = ("agent_trace.step.output", "gen_ai.tool.call.result", "gen_ai.output.messages")
_SYSTEM = (
    "You are debugging a failed AI-agent run. You get the failure and a few candidate spans (steps, tool calls, "
    "LLM calls) that an automatic analysis suspects, with its evidence and each span's neighbourhood. Decide which "
    "candidate introduced the fault that made the run fail (the root cause, not where the error surfaced). Reply "
    'with JSON only: {"ranking": ["C1", ...], "rationale": "one or two sentences"}, most likely first, using the '
    "candidate labels given."
)


class JudgeError(Exception):
    """The judge gave no usable verdict (network, timeout, HTTP error, malformed reply)."""


@dataclass(frozen=True)
class JudgeCandidate:
    """One span shown to the judge."""

    label: str
    """``C1``, ``C2``... (short labels: models copy them more reliably than hex ids)."""
    span_id: str
    text: str
    """Name, type, agent, blame, evidence and neighbouring context, already bounded."""


@dataclass(frozen=True)
class JudgeRequest:
    """What the judge sees: the failure and the top candidates, within ``max_chars`` in all."""

    trace_id: str
    failure: str
    candidates: tuple[JudgeCandidate, ...]

    def prompt(self) -> str:
        """The user message."""
        parts = [f"FAILURE\n{self.failure}", *(f"CANDIDATE {c.label}\n{c.text}" for c in self.candidates)]
        return "\n\n".join(parts)


@dataclass(frozen=True)
class JudgeVerdict:
    """The judge's answer: candidate labels, most likely root cause first, and why."""

    ranking: tuple[str, ...]
    rationale: str
    model: str = ""


@dataclass(frozen=True)
class JudgeOutcome:
    """What the report says about the judge: used or not, its ranking (span ids), rationale, or why it failed."""

    model: str
    used: bool
    ranking: tuple[str, ...] = ()
    rationale: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "model": self.model,
            "used": self.used,
            "ranking": list(self.ranking),
            "rationale": self.rationale,
            "note": self.note,
        }


@runtime_checkable
class Judge(Protocol):
    """Anything that ranks candidates: an LLM, a person at a prompt, a test double."""

    model: str

    def judge(self, request: JudgeRequest) -> JudgeVerdict:
        """Rank ``request.candidates``; raise `JudgeError` when no verdict can be given."""
        ...


def _clip(text: str, limit: int) -> str:
    text = " ".join(text[: limit * 2].split())
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def _payload(span: Span, keys: Sequence[str], limit: int) -> str:
    return "; ".join(f"{k}={_clip(str(span.attributes[k]), limit)}" for k in keys if k in span.attributes)


def _errors(span: Span, limit: int) -> str:
    out = [span.status_message] if span.status_message else []
    for event in span.events:
        message = event.attributes.get("exception.message") or event.attributes.get("gen_ai.evaluation.explanation")
        if message:
            out.append(f"{event.name}: {message}")
    return _clip(" | ".join(out), limit)


def _describe(span: Span, limit: int) -> str:
    lines = [f"{span.name} [{span.status_code}]"]
    for title, text in (
        ("input", _payload(span, _INPUT_KEYS, limit)),
        ("output", _payload(span, _OUTPUT_KEYS, limit)),
        ("error", _errors(span, limit)),
    ):
        if text:
            lines.append(f"  {title}: {text}")
    return "\n".join(lines)


def _neighbours(trace: Trace, span: Span) -> list[tuple[str, Span]]:
    """The parent and the siblings just before and after (start order)."""
    by_id = trace.by_id
    parent = by_id.get(span.parent_span_id or "")
    siblings = trace.children.get(parent.span_id if parent else None, [])
    index = next((i for i, s in enumerate(siblings) if s.span_id == span.span_id), -1)
    out: list[tuple[str, Span]] = [("parent", parent)] if parent else []
    if index > 0:
        out.append(("before", siblings[index - 1]))
    if 0 <= index < len(siblings) - 1:
        out.append(("after", siblings[index + 1]))
    return out


def _candidate_text(trace: Trace, step: StepBlame, budget: int) -> str:
    span = trace.by_id.get(step.span_id)
    field_chars = max(80, min(_FIELD_CHARS, budget // 8))
    head = f"{step.name} [{step.type}] agent={step.agent or '-'} blame={step.score:.2f} span_id={step.span_id}"
    evidence = [f"  evidence ({e.kind}): {_clip(e.detail, field_chars)}" for e in step.evidence[:4]]
    lines = [head, *evidence]
    if span is not None:
        lines.append("  this span: " + _describe(span, field_chars).replace("\n", "\n  "))
        for relation, other in _neighbours(trace, span):
            lines.append(f"  {relation}: " + _describe(other, field_chars // 2).replace("\n", "\n  "))
    return "\n".join(lines)[:budget]


def _failure_text(trace: Trace, blamed: BlameResult, expected: str | None, reason: str | None, limit: int) -> str:
    lines = []
    span = trace.by_id.get(blamed.failure_span_id or "")
    if span is not None:
        lines.append(f"surfaced in: {_describe(span, limit // 3)}")
    if expected:
        lines.append(f"expected: {_clip(expected, limit // 3)}")
    if reason:
        lines.append(f"reported by the user: {_clip(reason, limit // 3)}")
    return "\n".join(lines)[:limit] or "the run was reported as failed"


def build_request(
    trace: Trace,
    blamed: BlameResult,
    *,
    top_k: int = DEFAULT_TOP_K,
    max_chars: int = DEFAULT_MAX_CHARS,
    expected: str | None = None,
    reason: str | None = None,
) -> JudgeRequest:
    """The judge's view: the failure and the ``top_k`` most blamed spans, ``max_chars`` characters at most."""
    steps = blamed.steps[: max(0, top_k)]
    failure = _failure_text(trace, blamed, expected, reason, max_chars // 4)
    overhead = len(failure) + 20 * (len(steps) + 1)
    each = max(0, (max_chars - overhead) // max(1, len(steps)))
    candidates = tuple(
        JudgeCandidate(f"C{i}", s.span_id, _candidate_text(trace, s, each)) for i, s in enumerate(steps, 1)
    )
    return JudgeRequest(trace.trace_id, failure, candidates)


def merge_verdict(
    blamed: BlameResult, request: JudgeRequest, verdict: JudgeVerdict, *, weight: float = DEFAULT_WEIGHT
) -> BlameResult:
    """Fold the judge's ranking into the blame (pure; each score set still sums to 1).

    The mass ``M`` of the candidates' scores is split: ``(1 - weight)`` of each candidate's score stays, and
    ``weight * M`` goes to the ranked candidates with rank weights ``1, 1/2, 1/3...`` (normalized). Unknown or
    repeated labels in the ranking are ignored; with none left the blame is returned unchanged.
    """
    by_label = {c.label: c.span_id for c in request.candidates}
    ranked = [by_label[x] for x in dict.fromkeys(verdict.ranking) if x in by_label]
    if not ranked:
        return blamed
    weight = min(1.0, max(0.0, weight))
    shown = set(by_label.values())
    mass = sum(s.score for s in blamed.steps if s.span_id in shown)
    rank_weights = [1.0 / (i + 1) for i in range(len(ranked))]
    total_rank = sum(rank_weights)
    share = {span_id: weight * mass * w / total_rank for span_id, w in zip(ranked, rank_weights, strict=True)}
    position = {span_id: i for i, span_id in enumerate(ranked, 1)}
    why = _clip(verdict.rationale, 300)
    steps = []
    for step in blamed.steps:
        if step.span_id not in shown:
            steps.append(step)
            continue
        score = (1 - weight) * step.score + share.get(step.span_id, 0.0)
        evidence = step.evidence
        if step.span_id in position:
            rank = position[step.span_id]
            detail = f"LLM judge {verdict.model or ''} ranked it #{rank} of {len(request.candidates)}".replace(
                "  ", " "
            )
            if rank == 1 and why:
                detail += f": {why}"
            evidence = (Evidence(step.span_id, "judge", detail, share[step.span_id]), *evidence)
        steps.append(replace(step, score=score, evidence=evidence))
    order = {s.span_id: i for i, s in enumerate(blamed.steps)}
    steps.sort(key=lambda s: (-round(s.score, 12), order[s.span_id]))
    old = {s.span_id: s.score for s in blamed.steps}
    return replace(
        blamed,
        steps=tuple(steps),
        tools=_shifted(blamed.tools, steps, old, lambda s: s.tool),
        agents=_shifted(blamed.agents, steps, old, lambda s: s.agent or "(unknown)"),
    )


def _shifted(
    shares: dict[str, float],
    steps: Sequence[StepBlame],
    old: dict[str, float],
    group: Callable[[StepBlame], str | None],
) -> dict[str, float]:
    """Move each group's share by the change of its steps' scores, then renormalize (still a distribution)."""
    moved: dict[str, float] = defaultdict(float, shares)
    for step in steps:
        key = group(step)
        if key is not None and (key in shares or not shares):
            moved[key] += step.score - old[step.span_id]
    kept = {k: max(0.0, v) for k, v in moved.items()}
    total = sum(kept.values())
    if total <= 0:
        return dict(shares)
    return {k: v / total for k, v in sorted(kept.items(), key=lambda kv: (-kv[1], kv[0]))}


def judge_blame(
    trace: Trace,
    blamed: BlameResult,
    judge: Judge,
    *,
    top_k: int = DEFAULT_TOP_K,
    max_chars: int = DEFAULT_MAX_CHARS,
    weight: float = DEFAULT_WEIGHT,
    expected: str | None = None,
    reason: str | None = None,
) -> tuple[BlameResult, JudgeOutcome]:
    """Ask ``judge`` about the top candidates and merge its verdict; on any failure the blame is unchanged."""
    model = str(getattr(judge, "model", "") or type(judge).__name__)
    if not blamed.steps:
        return blamed, JudgeOutcome(model, used=False, note="nothing to judge: the run has no blamed span")
    request = build_request(trace, blamed, top_k=top_k, max_chars=max_chars, expected=expected, reason=reason)
    try:
        verdict = judge.judge(request)
    except Exception as exc:  # noqa: BLE001 - a judge is a plug-in: whatever it raises, the report goes on without it
        return blamed, JudgeOutcome(model, used=False, note=f"judge gave no verdict ({_clip(str(exc), 200)})")
    merged = merge_verdict(blamed, request, verdict, weight=weight)
    if merged is blamed:
        return blamed, JudgeOutcome(model, used=False, note="judge named none of the candidates; its reply was ignored")
    by_label = {c.label: c.span_id for c in request.candidates}
    ranking = tuple(by_label[x] for x in dict.fromkeys(verdict.ranking) if x in by_label)
    return merged, JudgeOutcome(model, used=True, ranking=ranking, rationale=_clip(verdict.rationale, 1000))


_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


def parse_verdict(text: str, model: str = "") -> JudgeVerdict:
    """Read ``{"ranking": [...], "rationale": "..."}`` from a reply (code fences and prose around it allowed)."""
    match = _JSON_OBJECT.search(text)
    if match is None:
        raise JudgeError("the reply holds no JSON object")
    try:
        data = json.loads(match.group(0))
    except ValueError as exc:
        raise JudgeError(f"the reply is not valid JSON: {exc}") from None
    ranking = data.get("ranking") if isinstance(data, dict) else None
    if not isinstance(ranking, list) or not all(isinstance(x, str) for x in ranking):
        raise JudgeError('the reply has no "ranking" list of candidate labels')
    rationale = data.get("rationale", "")
    return JudgeVerdict(tuple(x.strip() for x in ranking), rationale if isinstance(rationale, str) else "", model)


class OpenAIJudge:
    """A judge behind an OpenAI-compatible ``/chat/completions`` endpoint (temperature 0, JSON reply)."""

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_reply_bytes: int = 1_000_000,
    ) -> None:
        self.model = model
        self.base_url = (base_url or os.environ.get(JUDGE_BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")
        self.api_key = api_key or os.environ.get(JUDGE_API_KEY_ENV) or os.environ.get("OPENAI_API_KEY")
        self.timeout = timeout
        self.max_reply_bytes = max_reply_bytes

    def judge(self, request: JudgeRequest) -> JudgeVerdict:
        """POST the request; raise `JudgeError` on any network, HTTP or format problem."""
        body = {
            "model": self.model,
            "temperature": 0,
            "messages": [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": request.prompt()}],
        }
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        http = urllib.request.Request(
            f"{self.base_url}/chat/completions", data=json.dumps(body).encode("utf-8"), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(http, timeout=self.timeout) as response:
                raw = response.read(self.max_reply_bytes + 1)
        except urllib.error.HTTPError as exc:
            raise JudgeError(f"HTTP {exc.code} from {self.base_url}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:  # timeouts are OSErrors
            raise JudgeError(f"cannot reach {self.base_url}: {exc}") from None
        if len(raw) > self.max_reply_bytes:
            raise JudgeError("the reply is too large")
        try:
            content = json.loads(raw)["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise JudgeError("the reply is not a chat completion") from None
        if not isinstance(content, str):
            raise JudgeError("the reply has no text content")
        return parse_verdict(content, self.model)
