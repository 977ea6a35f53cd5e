"""The RCA report as one self-contained HTML file: the trace as a timeline, the causal chain highlighted."""

from __future__ import annotations

import html
import json

from otel_agent_trace.model import Trace

from .report import RcaReport

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
.rc{border-left:6px solid #c0392b;background:#fdecea;padding:10px 14px;border-radius:4px}
.tl{border:1px solid #ddd;border-radius:4px;padding:6px 0}
.row{display:flex;align-items:center;height:22px;font-size:12px}
.row:hover{background:#f5f5f5}
.name{width:34%;overflow:hidden;white-space:nowrap;text-overflow:ellipsis;padding-right:8px}
.track{position:relative;flex:1;height:14px}
.bar{position:absolute;height:14px;border-radius:2px;background:#9bb7d4;min-width:2px}
.bar.error{background:#e59a92}.chain .bar{background:#e67e22}.chain.rootcause .bar{background:#c0392b}
.chain .name{font-weight:600}.rootcause .name::before{content:"\\2605 ";color:#c0392b}
.badge{display:inline-block;font-size:11px;padding:0 5px;border-radius:3px;background:#eee;margin-left:4px}
ol li{margin:4px 0}.reason{color:#666}
table{border-collapse:collapse}td,th{border-bottom:1px solid #eee;padding:3px 10px;text-align:left;font-size:13px}
details pre{background:#f7f7f7;padding:8px;overflow:auto;max-height:400px}
"""


def render_html(report: RcaReport, trace: Trace, max_rows: int = 2000, *, baseline_note: str | None = None) -> str:
    """One HTML document, no external resources: root cause, causal chain, timeline, blame and the JSON report.

    Args:
        report: the `analyze` result.
        trace: the trace it analysed (for the timeline).
        max_rows: draw at most this many spans (chain spans are always drawn).
        baseline_note: what the run was compared with (see `text_report.baseline_line`).
    """
    esc = html.escape
    chain = set(report.causal_chain.span_ids)
    root_id = report.root_cause.span_id if report.root_cause else None
    start, end = trace.start_ns, max(trace.end_ns, trace.start_ns + 1)
    width = end - start
    rows = []
    drawn = 0
    for depth, span in trace.walk():
        if drawn >= max_rows and span.span_id not in chain:
            continue
        drawn += 1
        left = 100 * (span.start_ns - start) / width
        size = max(0.15, 100 * span.duration_ns / width)
        classes = ["row"]
        if span.span_id in chain:
            classes.append("chain")
        if span.span_id == root_id:
            classes.append("rootcause")
        bar = "bar error" if span.is_error else "bar"
        title = f"{span.name} | {span.duration_ns / 1e6:.1f} ms | {span.status_code} | {span.span_id}"
        rows.append(
            f'<div class="{" ".join(classes)}" title="{esc(title)}"><div class="name" style="padding-left:'
            f'{depth * 14}px">{esc(span.name)}</div><div class="track"><div class="{bar}" style="left:{left:.3f}%;'
            f'width:{size:.3f}%"></div></div></div>'
        )
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>RCA {esc(report.trace_id)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Root-cause analysis of trace <code>{esc(report.trace_id)}</code></h1>",
    ]
    if report.root_cause:
        rc = report.root_cause
        why = "".join(f"<li>{esc(w)}</li>" for w in rc.why)
        parts.append(
            f"<div class='rc'><b>Root cause:</b> {esc(rc.name)} <span class='badge'>{esc(rc.type)}</span>"
            f"<span class='badge'>{esc(rc.span_id)}</span><span class='badge'>blame {rc.score:.2f}</span>"
            f"<ul>{why}</ul></div>"
        )
        items = "".join(
            f"<li><b>{esc(s.name)}</b> <span class='badge'>{esc(s.role)}</span>"
            + (f"<div class='reason'>&rarr; {esc(s.reason)}</div>" if s.reason else "")
            + "</li>"
            for s in report.causal_chain.steps
        )
        parts.append(f"<h2>Causal chain</h2><ol>{items}</ol>")
    else:
        parts.append("<p>No failure found in this run.</p>")
    parts.append(
        f"<h2>Timeline ({report.span_count} spans, {report.duration_ns / 1e9:.2f} s)</h2>"
        f"<div class='tl'>{''.join(rows)}</div>"
    )
    if report.blame.steps:
        body = "".join(
            f"<tr><td>{s.score:.3f}</td><td>{esc(s.name)}</td><td>{esc(s.type)}</td><td>{esc(s.agent)}</td>"
            f"<td>{esc('; '.join(e.detail for e in s.evidence[:2]))}</td></tr>"
            for s in report.blame.steps[:15]
        )
        parts.append(
            "<h2>Blame</h2><table><tr><th>score</th><th>span</th><th>type</th><th>agent</th><th>evidence</th></tr>"
            f"{body}</table>"
        )
    data = esc(json.dumps(report.to_dict(), indent=1, default=str))
    parts.append(f"<h2>Full report</h2><details><summary>JSON</summary><pre>{data}</pre></details></body></html>")
    return "\n".join(parts)
