"""Time of one ``redact_text`` call: the candidate scan strategies side by side.

Not a test. Run ``python bench/bench_redact.py`` (``--rounds`` to change the effort, ``--quick`` for a smoke run).

Candidates, all over the same 101 built-in rules (docs/redaction.md):

- ``aho``: the shipped engine. One Aho-Corasick pass (pyahocorasick) over the text for the case-sensitive
  prefixes and one over a lower-cased copy for the keywords; a rule's regex runs only where its literal is.
- ``find``: the fallback engine. ``str.find`` of each of the ~170 literals, then the same anchored matches.
- ``alternation``: one compiled regex, every rule a branch starting with its literal (keyword branches scoped
  case-insensitive), scanned once with ``finditer``. Same rules, so the same work per match; the difference is how
  the engine gets to the candidates. (It drops the ``back`` rules, whose literal is not at the start, so it is
  slightly favoured.)
- ``legacy``: the 9 unanchored regexes redaction had before (each tried at every character), for scale. It finds
  much less, so it is not a like-for-like candidate.

Texts: 1 KiB, 16 KiB and 256 KiB of agent-trace-like content (prose, code, JSON, URLs, hashes), ``clean`` (no
secret) and ``secrets`` (one realistic secret every ~2 KiB). Rounds are interleaved: each round times every
candidate on every text once, in an order that rotates between rounds; the table shows the median over rounds,
the spread (min-max over rounds, as a percentage of the median) and the ratio to ``aho``.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.core._secret_samples import SAMPLES

from otel_agent_trace._internal._secret_rules import RULES
from otel_agent_trace._internal.redact import REDACTED, Redactor

LEGACY = (
    re.compile(r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_\-]{16,}"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=\-]{8,}"),
    re.compile(r"(?i)\bbasic\s+[A-Za-z0-9+/=]{8,}"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),
    re.compile(r"\bxox[abprs]-[A-Za-z0-9\-]{10,}"),
    re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    re.compile(r"(?i)((?:api[_-]?key|token|secret|password)=)[^&\s\"']+"),
)

CHUNKS = [
    "The agent called the search tool with the user's question, then decided to answer from the first result "
    "because its confidence was above the threshold. Latency was 420 ms; 512 tokens were used.\n",
    'def handle(request):\n    client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])\n'
    "    return client.chat(request)\n",
    '{"role": "assistant", "content": "Here is the summary you asked for.", "tool_calls": [], "index": 3}\n',
    "GET https://api.example.com/v1/items?page=2&sort=desc -> 200 (commit 9fceb02d0ae598e95dc970b74767f19372d61af8)\n",
    "sha256 3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b id 123e4567-e89b-12d3-a456-426614174000\n",
]


def make_text(size: int, with_secrets: bool, rng: random.Random) -> str:
    parts: list[str] = []
    length = 0
    since_secret = 0
    makers = list(SAMPLES.values())
    while length < size:
        if with_secrets and since_secret >= 2048:
            piece = "config: " + rng.choice(makers)()[0] + "\n"
            since_secret = 0
        else:
            piece = rng.choice(CHUNKS)
        parts.append(piece)
        length += len(piece)
        since_secret += len(piece)
    return "".join(parts)[:size]


def alternation() -> Callable[[str], str]:
    branches = []
    for rule in RULES:
        if rule.back:
            continue
        body = re.sub(r"\(\?P<\w+>", "(?:", rule.regex)
        branches.append(f"(?i:{body})" if rule.keywords else f"(?:{body})")
    combined = re.compile("|".join(branches))

    def run(text: str) -> str:
        return combined.sub(REDACTED, text)

    return run


def legacy(text: str) -> str:
    for pattern in LEGACY:
        text = pattern.sub(REDACTED, text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="3 rounds, for a smoke run")
    args = parser.parse_args()
    rounds = 3 if args.quick else args.rounds
    rng = random.Random(7)
    texts = {
        f"{label} {kind}": make_text(size, kind == "secrets", rng)
        for label, size in (("1 KiB", 1024), ("16 KiB", 16 * 1024), ("256 KiB", 256 * 1024))
        for kind in ("clean", "secrets")
    }
    aho, find = Redactor(engine="aho"), Redactor(engine="find")
    candidates: dict[str, Callable[[str], object]] = {
        "aho": aho.redact_text,
        "find": find.redact_text,
        "alternation": alternation(),
        "legacy": legacy,
    }
    times: dict[tuple[str, str], list[float]] = {(c, t): [] for c in candidates for t in texts}
    names = list(candidates)
    for round_no in range(rounds):
        order = names[round_no % len(names) :] + names[: round_no % len(names)]
        for text_name, text in texts.items():
            for name in order:
                func = candidates[name]
                repeat = max(1, 20_000 // len(text))
                start = time.perf_counter()
                for _ in range(repeat):
                    func(text)
                times[(name, text_name)].append((time.perf_counter() - start) / repeat)
    print(f"python {sys.version.split()[0]}, {rounds} interleaved rounds; median per call, spread = (max-min)/median")
    print()
    print("| text | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for text_name in texts:
        base = statistics.median(times[("aho", text_name)])
        cells = []
        for name in names:
            samples = times[(name, text_name)]
            med = statistics.median(samples)
            spread = (max(samples) - min(samples)) / med * 100
            cells.append(f"{_fmt(med)} ±{spread:.0f}% ({med / base:.1f}x)")
        print(f"| {text_name} | " + " | ".join(cells) + " |")


def _fmt(seconds: float) -> str:
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.0f} µs"


if __name__ == "__main__":
    main()
