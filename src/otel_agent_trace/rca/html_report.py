"""The RCA report as one self-contained HTML page (no external assets).

From top to bottom: the verdict (root cause, how the run failed, the baseline, the judge), the top-3 candidates
with their evidence, blame per agent, and the timeline: a time axis with ticks, a legend, one lane per agent for
multi-agent runs, then every span as a row (failed spans red, the root cause purple with a black outline and a
``ROOT`` tag, the next candidates outlined amber). Clicking a span (or a candidate) shows its attributes,
inputs/outputs and events in the side panel.

Everything from the trace is untrusted: text is HTML-escaped, and the span data the script reads is JSON inside a
``<script type="application/json">`` block with ``<``, ``>`` and ``&`` written as JSON unicode escapes; the script sets
``textContent`` only.
"""

from __future__ import annotations

import html
import json
import math
from typing import Any

from otel_agent_trace.model import Span, Trace

from ._html_assets import CSS, JS
from .report import RcaReport
from .text_report import (
    agent_rows,
    baseline_line,
    candidates_of,
    duration_text,
    evidence_of,
    failure_line,
    judge_line,
    plural,
    verdict_of,
    verification_line,
)

MAX_VALUE_CHARS = 4000
"""Each attribute or payload value is cut to this many characters in the page (the JSON report keeps it all)."""
_PAYLOAD_KEYS = (
    ("input", "agent_trace.step.input"),
    ("output", "agent_trace.step.output"),
    ("tool arguments", "gen_ai.tool.call.arguments"),
    ("tool result", "gen_ai.tool.call.result"),
    ("input messages", "gen_ai.input.messages"),
    ("output messages", "gen_ai.output.messages"),
)
_LANE_COLORS = ("#4e79a7", "#59a14f", "#9c755f", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#bab0ac")

esc = html.escape


def _script_json(value: Any) -> str:
    """JSON that cannot close its ``<script>`` element or open a comment."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _cut(value: Any) -> tuple[str, bool]:
    text = (
        value if isinstance(value, str) else json.dumps(value, default=str) if isinstance(value, tuple) else str(value)
    )
    return (text, False) if len(text) <= MAX_VALUE_CHARS else (text[:MAX_VALUE_CHARS] + "…", True)


def _ticks(width_ns: int, count: int = 8) -> list[int]:
    """Round tick offsets (1, 2 or 5 times a power of ten) covering ``width_ns``."""
    raw = max(1.0, width_ns / count)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return [int(i * step) for i in range(int(width_ns // step) + 1)]


def _span_data(span: Span, trace_start: int, flags: list[str]) -> dict[str, Any]:
    truncated = False
    payloads: dict[str, str] = {}
    payload_keys = {key for _, key in _PAYLOAD_KEYS}
    for title, key in _PAYLOAD_KEYS:
        if key in span.attributes:
            payloads[title], cut = _cut(span.attributes[key])
            truncated |= cut
    attributes: dict[str, str] = {}
    for key in sorted(span.attributes):
        if key not in payload_keys:
            attributes[key], cut = _cut(span.attributes[key])
            truncated |= cut
    events = []
    for event in span.events:
        event_attributes = {}
        for key in sorted(event.attributes):
            event_attributes[key], cut = _cut(event.attributes[key])
            truncated |= cut
        events.append(
            {"name": event.name, "at": duration_text(event.time_ns - trace_start), "attributes": event_attributes}
        )
    status = span.status_code + (f": {span.status_message}" if span.status_message else "")
    return {
        "name": span.name,
        "summary": f"{duration_text(span.duration_ns)} · starts +{duration_text(span.start_ns - trace_start)}"
        f" · {status} · span {span.span_id}",
        "flags": flags,
        "payloads": payloads,
        "attributes": attributes,
        "events": events,
        "truncated": MAX_VALUE_CHARS if truncated else 0,
    }


def _verdict(report: RcaReport, baseline_note: str | None) -> str:
    failure = getattr(report, "failure", None)
    kind = str(getattr(failure, "kind", "") or ("exception" if report.propagation.first_error else "none"))
    rows = []
    if report.root_cause is not None:
        rc = report.root_cause
        rows.append(
            (
                "Root cause",
                f"<span class='tag root'>ROOT</span><b>{esc(rc.name)}</b> <span class='mono'>"
                f"{esc(rc.span_id)}</span> · {esc(rc.type)} · agent {esc(rc.agent or '-')} · blame {rc.score:.2f}",
            )
        )
    rows.append(
        ("Failure", f"<span class='kind {esc(kind)}'>{esc(kind)}</span> {esc(failure_line(report, with_kind=False))}")
    )
    rows.append(("Baseline", esc(baseline_line(report, baseline_note))))
    judged = judge_line(report)
    rows.append(("LLM judge", esc(judged) if judged else "not used (off by default)"))
    verified = verification_line(report)
    if verified:
        rows.append(("Verified", esc(verified)))
    body = "".join(f"<dt>{title}</dt><dd>{value}</dd>" for title, value in rows)
    return f"<section><h2>Verdict</h2><dl class='verdict'>{body}</dl></section>"


def _candidate_cards(report: RcaReport) -> str:
    cards = []
    for rank, cand in enumerate(candidates_of(report)[:3], 1):
        judged = {str(e.detail) for e in getattr(cand, "evidence", ()) if getattr(e, "kind", "") == "judge"}
        items = []
        for line in evidence_of(cand):
            cls = " class='ev-judge'" if line in judged else ""
            items.append(f"<li{cls}>{esc(line)}</li>")
        verdict = verdict_of(report, cand.span_id)
        badge = f"<span class='vbadge {esc(verdict)}'>{esc(verdict)} by replay</span>" if verdict else ""
        cards.append(
            f"<div class='cand r{rank}' data-id='{esc(cand.span_id)}'><div><span class='rank'>#{rank}</span> "
            f"<span class='nm'>{esc(cand.name)}</span>{badge}</div><div class='meta'>{esc(cand.type)} · agent "
            f"{esc(getattr(cand, 'agent', '') or '-')} · blame {cand.score:.2f}</div><ul>{''.join(items)}</ul></div>"
        )
    if not cards:
        return ""
    return f"<section><h2>Top candidates</h2><div class='cands'>{''.join(cards)}</div></section>"


def _verification(report: RcaReport) -> str:
    verification = getattr(report, "verification", None)
    if verification is None:
        return ""
    rows = "".join(
        f"<tr data-id='{esc(v.span_id)}'><td><span class='vbadge {esc(v.verdict)}'>{esc(v.verdict)}</span></td>"
        f"<td><b>{esc(v.name)}</b> <span class='mono'>{esc(v.span_id)}</span></td><td>{esc(v.reason)}"
        + (f"<div class='hint'>value: {esc(v.value)} ({esc(v.value_source)})</div>" if v.value is not None else "")
        + "</td></tr>"
        for v in verification.verdicts
    )
    return (
        f"<section class='verify'><h2>Counterfactual verification</h2><p class='hint'>{esc(verification.summary())}."
        f" Control (the run replayed unchanged): {esc(verification.control.detail)}</p>"
        f"<table>{rows}</table></section>"
    )


def _agent_bars(report: RcaReport) -> str:
    agents = agent_rows(report)
    if not agents:
        return ""
    rows = "".join(
        f"<div class='a'><span>{esc(name)}</span><span class='meter'><div style='width:{100 * score:.1f}%'></div>"
        f"</span><span>{score:.2f}</span></div>" + (f"<div class='hint'>{esc('; '.join(why))}</div>" if why else "")
        for name, score, why in agents[:8]
    )
    return f"<section class='agents'><h2>Blame by agent</h2>{rows}</section>"


def _timeline(report: RcaReport, trace: Trace, max_rows: int, data: dict[str, Any]) -> str:
    start, width = trace.start_ns, max(1, trace.end_ns - trace.start_ns)
    chain = set(report.causal_chain.span_ids)
    root_id = report.root_cause.span_id if report.root_cause else None
    failure = getattr(report, "failure", None)
    failed_id = getattr(failure, "span_id", None) or report.failure_span_id
    ranks = {c.span_id: i for i, c in enumerate(candidates_of(report)[:3], 1)}
    agent_of = {s.span_id: a for s in report.blame.steps for a in [s.agent] if a}
    by_id = trace.by_id
    for _, span in trace.walk():  # spans the blame does not list inherit their parent's agent
        if span.span_id not in agent_of:
            name = span.attributes.get("gen_ai.agent.name")
            agent_of[span.span_id] = str(name) if name else agent_of.get(span.parent_span_id or "", "")
    first_start: dict[str, int] = {}
    for span in trace.spans:
        agent = agent_of.get(span.span_id, "")
        if agent:
            first_start[agent] = min(first_start.get(agent, span.start_ns), span.start_ns)
    agents = sorted(first_start, key=lambda a: (first_start[a], a))  # lanes in the order the agents started
    color = {a: _LANE_COLORS[i % len(_LANE_COLORS)] for i, a in enumerate(agents)}

    def pos(span: Span) -> str:
        left = 100 * (span.start_ns - start) / width
        return f"left:{left:.3f}%;width:{max(0.2, 100 * span.duration_ns / width):.3f}%"

    ticks = _ticks(width)
    axis = "".join(f"<span class='tick' style='left:{100 * t / width:.3f}%'>{duration_text(t)}</span>" for t in ticks)
    grid = "".join(f"<span class='grid' style='left:{100 * t / width:.3f}%'></span>" for t in ticks)
    lanes = ""
    if len(agents) > 1:
        lane_rows = []
        for agent in agents:
            bars = "".join(
                f"<div class='bar' style='{pos(s)};background:{color[agent]}'></div>"
                for s in trace.spans
                if agent_of.get(s.span_id) == agent and by_id.get(s.parent_span_id or "") is not None
            )
            lane_rows.append(
                f"<div class='lane'><div class='nm' style='border-left:4px solid {color[agent]}'>{esc(agent)}</div>"
                f"<div class='track'>{grid}{bars}</div></div>"
            )
        lanes = f"<div class='lanes'><div class='hint'>Agent lanes</div>{''.join(lane_rows)}</div>"
    rows, drawn = [], 0
    for depth, span in trace.walk():
        sid = span.span_id
        if drawn >= max_rows and sid not in chain and sid not in ranks:
            continue
        drawn += 1
        flags, tags, bar = [], [], "bar"
        if sid == root_id:
            flags.append("ROOT CAUSE")
            tags.append("<span class='tag root'>ROOT</span>")
            bar += " root"
        elif sid in ranks:
            flags.append(f"candidate #{ranks[sid]}")
            tags.append(f"<span class='tag cand'>#{ranks[sid]}</span>")
            bar += " next"
        if span.is_error or sid == failed_id:
            flags.append("failed" if span.is_error else f"failed ({getattr(failure, 'kind', 'verdict')})")
            bar += " fail" if sid != root_id else ""
            tags.append(f"<span class='tag fail'>{'ERR' if span.is_error else 'FAIL'}</span>")
        if sid in chain:
            flags.append("on the causal chain")
        marks = "".join(
            f"<span class='mark' title='{esc(e.name)}' style='left:{100 * (e.time_ns - start) / width:.3f}%'></span>"
            for e in span.events
            if e.name == "gen_ai.evaluation.result"
        )
        data[sid] = _span_data(span, start, flags)
        classes = "row" + (" chain" if sid in chain else "") + (" root" if sid == root_id else "")
        stripe = color.get(agent_of.get(sid, ""), "transparent") if len(agents) > 1 else "transparent"
        rows.append(
            f"<div class='{classes}' data-id='{esc(sid)}' style='border-left-color:{stripe}'>"
            f"<div class='nm' style='padding-left:{4 + depth * 14}px' title='{esc(span.name)}'>{''.join(tags)}"
            f"{esc(span.name)}</div><div class='track'>{grid}<div class='{bar}' style='{pos(span)}'></div>{marks}"
            "</div></div>"
        )
    hidden = len(trace.spans) - drawn
    more = f"<div class='hint'>{plural(hidden, 'more span')} not drawn.</div>" if hidden > 0 else ""
    legend = (
        "<div class='legend'><span><i class='sw'></i>span</span><span><i class='sw fail'></i>failed span</span>"
        "<span><i class='sw root'></i>root cause</span><span><i class='sw next'></i>next candidates</span>"
        "<span><i class='sw eval'></i>evaluation result</span><span><b>bold</b>&nbsp;name: causal chain</span>"
        "<span>click a span for its details</span></div>"
    )
    title = f"Timeline ({plural(len(trace.spans), 'span')}, {duration_text(width)})"
    return (
        f"<section><h2>{title}</h2>{legend}<div class='tl'><div class='axis'><div></div><div class='ticks'>{axis}"
        f"</div></div>{lanes}{''.join(rows)}{more}</div></section>"
    )


def render_html(report: RcaReport, trace: Trace, max_rows: int = 2000, *, baseline_note: str | None = None) -> str:
    """One HTML document, no external resources: verdict, candidates, agents, timeline, span details, JSON report.

    Args:
        report: the `analyze` result.
        trace: the trace it analysed (for the timeline).
        max_rows: draw at most this many spans (the causal chain and the candidates are always drawn).
        baseline_note: what the run was compared with (see `text_report.baseline_line`).
    """
    data: dict[str, Any] = {}
    timeline = _timeline(report, trace, max_rows, data)
    if report.root_cause is None:
        top = (
            f"<section><h2>Verdict</h2><p>No failure found in this run ({plural(report.span_count, 'span')}): "
            "nothing to blame. Use <code>--failed</code> if the run is wrong anyway.</p></section>"
        )
    else:
        top = _verdict(report, baseline_note) + _candidate_cards(report) + _verification(report) + _agent_bars(report)
    root = esc(report.root_cause.span_id) if report.root_cause else ""
    raw = esc(json.dumps(report.to_dict(), indent=1, default=str))
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>RCA {esc(report.trace_id)}</title><style>{CSS}</style></head><body data-root='{root}'>"
        f"<header><h1>Root-cause analysis</h1><div class='sub'>trace <span class='mono'>{esc(report.trace_id)}"
        f"</span> · {plural(report.span_count, 'span')} · {duration_text(report.duration_ns)}</div></header>"
        f"<main><div>{top}{timeline}<section><details class='raw'><summary>Full report (JSON)</summary><pre>{raw}"
        "</pre></details></section></div><aside><section id='details'><p class='hint'>Click a span to see its "
        "attributes, inputs/outputs and events.</p></section></aside></main>"
        f"<script type='application/json' id='spans'>{_script_json(data)}</script><script>{JS}</script>"
        "</body></html>"
    )
