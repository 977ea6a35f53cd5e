"""The peer instrumentors `_peers` knows: who they are, where they wrap, how they can be told to step aside."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Peer:
    """One peer instrumentor: who it is, where its instrumentor class lives, and how it can be told to step aside."""

    name: str
    distribution: str
    library: str
    module: str
    instrumentor: str
    scopes: tuple[str, ...]
    """Instrumentation scope names of its spans (a name also covers its dotted children)."""
    reads_suppression_key: bool
    """Skips its span when ``_SUPPRESS_INSTRUMENTATION_KEY`` is set."""
    shared_scope: bool = False
    """Its spans' scope is shared with other GenAI spans (tools...): the span's own attributes must say LLM call."""
    providers: tuple[str, ...] | None = None
    """With ``shared_scope``: the ``gen_ai.provider.name`` / ``gen_ai.system`` values of its LLM spans (None: any)."""
    frames: tuple[str, ...] = ()
    """Modules besides ``module`` whose frames run its wrapper's code (a shared helper's stream proxy)."""


SDK_MODULES: dict[str, tuple[str, ...]] = {
    "google-genai": ("google.genai",),
    "bedrock": ("botocore",),
}
"""The SDK's own modules, walked past when looking for the peer whose wrapper called ours: these peers wrap the
public method (``Models.generate_content``, a client's ``converse``) above the one ours wraps."""

PEERS: tuple[Peer, ...] = (
    Peer(
        "OpenInference",
        "openinference-instrumentation-openai",
        "openai",
        "openinference.instrumentation.openai",
        "OpenAIInstrumentor",
        ("openinference.instrumentation.openai",),
        reads_suppression_key=True,
    ),
    Peer(
        "OpenLLMetry",
        "opentelemetry-instrumentation-openai",
        "openai",
        "opentelemetry.instrumentation.openai",
        "OpenAIInstrumentor",
        ("opentelemetry.instrumentation.openai",),
        reads_suppression_key=False,  # it reads its own key (set too), and is called past when directly beneath
    ),
    Peer(
        "OpenTelemetry openai-v2",
        "opentelemetry-instrumentation-openai-v2",
        "openai",
        "opentelemetry.instrumentation.openai_v2",
        "OpenAIInstrumentor",
        ("opentelemetry.instrumentation.openai_v2", "opentelemetry.util.genai"),
        reads_suppression_key=False,
        shared_scope=True,
        providers=("openai",),
    ),
    Peer(
        "OpenInference",
        "openinference-instrumentation-anthropic",
        "anthropic",
        "openinference.instrumentation.anthropic",
        "AnthropicInstrumentor",
        ("openinference.instrumentation.anthropic",),
        reads_suppression_key=True,
    ),
    Peer(
        "OpenLLMetry",
        "opentelemetry-instrumentation-anthropic",
        "anthropic",
        "opentelemetry.instrumentation.anthropic",
        "AnthropicInstrumentor",
        ("opentelemetry.instrumentation.anthropic",),
        reads_suppression_key=False,
    ),
    Peer(
        "OpenInference",
        "openinference-instrumentation-google-genai",
        "google-genai",
        "openinference.instrumentation.google_genai",
        "GoogleGenAIInstrumentor",
        ("openinference.instrumentation.google_genai",),
        reads_suppression_key=True,  # public generate_content* (outside ours); embed_content: the same method
    ),
    Peer(
        "OpenLLMetry",
        "opentelemetry-instrumentation-google-generativeai",
        "google-genai",
        "opentelemetry.instrumentation.google_generativeai",
        "GoogleGenerativeAiInstrumentor",
        ("opentelemetry.instrumentation.google_generativeai",),
        reads_suppression_key=True,  # public generate_content* only, its span never current: out of reach
    ),
    Peer(
        "OpenTelemetry google-genai",
        "opentelemetry-instrumentation-google-genai",
        "google-genai",
        "opentelemetry.instrumentation.google_genai",
        "GoogleGenAiSdkInstrumentor",
        ("opentelemetry.instrumentation.google_genai",),
        reads_suppression_key=False,  # embed_content beneath ours: called past
        shared_scope=True,  # its tool spans share the scope
        frames=("opentelemetry.util.genai",),  # its stream proxy is util-genai's
    ),
    Peer(
        "OpenInference",
        "openinference-instrumentation-bedrock",
        "bedrock",
        "openinference.instrumentation.bedrock",
        "BedrockInstrumentor",
        ("openinference.instrumentation.bedrock",),
        reads_suppression_key=True,  # it wraps each client's methods, always outside ours
    ),
    Peer(
        "OpenLLMetry",
        "opentelemetry-instrumentation-bedrock",
        "bedrock",
        "opentelemetry.instrumentation.bedrock",
        "BedrockInstrumentor",
        ("opentelemetry.instrumentation.bedrock",),
        reads_suppression_key=False,  # each client's methods, outside ours; its stream spans are never current
    ),
    Peer(
        "OpenTelemetry botocore",
        "opentelemetry-instrumentation-botocore",
        "bedrock",
        "opentelemetry.instrumentation.botocore",
        "BotocoreInstrumentor",
        ("opentelemetry.instrumentation.botocore",),  # its Bedrock spans: ...botocore.bedrock-runtime
        reads_suppression_key=True,  # it wraps the same BaseClient._make_api_call, so either order meets ours
    ),
)
