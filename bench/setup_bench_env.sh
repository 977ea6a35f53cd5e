#!/usr/bin/env bash
# Build bench/.venv-bench: otel-agent-trace (editable) + the frameworks the benchmarks drive + every peer
# instrumentation they compare against, all really installed (each peer runs in its own subprocess: they patch
# globally). Re-running is cheap: the venv is re-synced only when this file's package list or pyproject.toml changes.
#   bash bench/setup_bench_env.sh            # build or reuse
#   BENCH_PYTHON=python3.12 bash bench/setup_bench_env.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-bench
PY=${BENCH_PYTHON:-python3}
PACKAGES=(
    "-e" ".[openai,langchain,openai-agents]"
    "langchain-openai"
    # OpenInference (Arize)
    "openinference-instrumentation-openai"
    "openinference-instrumentation-langchain"
    "openinference-instrumentation-openai-agents"
    # OpenLLMetry (Traceloop): the instrumentors alone, without traceloop-sdk (see docs/benchmarks.md)
    "opentelemetry-instrumentation-openai"
    "opentelemetry-instrumentation-langchain"
    "opentelemetry-instrumentation-openai-agents"
    # official OpenTelemetry contrib
    "opentelemetry-instrumentation-openai-v2"
    # openai-v2 2.4b0 imports opentelemetry.util.genai.instruments, gone from util-genai 1.3b0 (it asks >=0.4b0.dev)
    "opentelemetry-util-genai==1.1b0"
)
# the package list and pyproject.toml (a new dependency of ours re-syncs the venv; it is not rebuilt for that)
KEY=$( (printf '%s\n' "$PY" "${PACKAGES[@]}"; cat pyproject.toml) | sha256sum | cut -c1-16)
if [[ -f $VENV/.key && $(cat $VENV/.key) == "$KEY" ]]; then
    echo "$VENV up to date ($KEY)"
    exit 0
fi
if [[ ! -x $VENV/bin/python ]]; then
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
    printf '*\n' > "$VENV/.gitignore"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi
"$VENV/bin/python" -m pip install --quiet "${PACKAGES[@]}"
echo "$KEY" > "$VENV/.key"
"$VENV/bin/python" -m pip list 2>/dev/null | grep -i -E "^(openai|openai-agents|langgraph|langchain-core|langchain-openai|opentelemetry-sdk|openinference-instrumentation|opentelemetry-instrumentation)[- ]"
