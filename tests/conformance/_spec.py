"""The GenAI span definitions our spans are checked against, as data: one table, written once.

Source: the OpenTelemetry GenAI semantic conventions, which moved from ``semantic-conventions`` to
``semantic-conventions-genai`` (the attribute strings are the ones ``opentelemetry-semantic-conventions`` 0.66b2
still ships, marked "moved"). Pages read at commit ``002c8a6ea1c8a42b14a4527db83b3cabcded610a``:

- ``docs/gen-ai/gen-ai-spans.md``: Inference (``gen_ai.inference.client``), Embeddings (``gen_ai.embeddings.client``),
  Execute tool (``gen_ai.execute_tool.internal``);
- ``docs/gen-ai/openai.md``: OpenAI inference (``openai.inference.client``), which extends Inference;
- ``docs/gen-ai/gen-ai-agent-spans.md``: Invoke agent internal (``gen_ai.invoke_agent.internal``), Invoke workflow
  (``gen_ai.invoke_workflow.internal``), Plan (``gen_ai.plan.internal``).

Every ``Required`` and ``Conditionally Required`` attribute of these definitions is listed, with the spec's
condition in words and the fact (`Fact`) a test states about its call that decides whether the condition holds.
``Opt-In`` attributes are listed too: the spec keeps them off by default, so they must be absent without content
capture. A few ``Recommended`` attributes are listed where we claim to set them (the rest of that level is not
checked). Span names are ``SHOULD``: where we knowingly use another name, `DEVIATIONS` says which and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from opentelemetry.trace import SpanKind

SPEC_COMMIT = "002c8a6ea1c8a42b14a4527db83b3cabcded610a"
SPEC_REPO = "https://github.com/open-telemetry/semantic-conventions-genai"


def source(page: str, anchor: str) -> str:
    """Where a definition was read."""
    return f"{SPEC_REPO}/blob/{SPEC_COMMIT}/docs/gen-ai/{page}#{anchor}"


class Level(Enum):
    REQUIRED = "Required"
    CONDITIONAL = "Conditionally Required"
    RECOMMENDED = "Recommended"
    OPT_IN = "Opt-In"


class Fact(Enum):
    """What a test knows about the call it made; the conditions of the spec are stated in these terms."""

    ERROR = "the operation ended in an error"
    MODEL = "the request named a model"
    SERVER_ADDRESS = "server.address is set"
    SEED = "the request includes a seed"
    STREAM = "the request was streamed"
    CHOICE_COUNT = "the request asked for a choice count other than 1"
    TOP_K = "the request set top_k"
    OUTPUT_TYPE = "the request included an output format"
    CONVERSATION = "a conversation id is readily available"
    REQUEST_SERVICE_TIER = "the request included a service_tier that is not 'auto'"
    RESPONSE_SERVICE_TIER = "the response was received and includes a service_tier"
    SYSTEM_FINGERPRINT = "the response includes a system_fingerprint"
    AGENT_NAME = "the agent has a name"
    AGENT_ID = "the agent has an id"
    AGENT_DESCRIPTION = "the agent has a description"
    AGENT_VERSION = "the agent has a version"
    WORKFLOW_NAME = "the workflow has a name"
    TOOL_CALL_ID = "the tool call has an id"
    TOOL_DESCRIPTION = "the tool has a description"
    CONTENT = "content capture is on (the user's opt-in)"
    MESSAGES = "the request sent messages"
    SYSTEM_INSTRUCTIONS = "the request sent system instructions apart from the messages"
    TOOLS = "the request offered tool definitions"
    OUTPUT = "the model returned output"
    TOOL_RESULT = "the tool returned"
    ALWAYS = "always"


STRING, INT, BOOL, NUMBER, STRINGS = "string", "int", "boolean", "double", "string[]"


@dataclass(frozen=True)
class Attr:
    """One attribute of a span definition."""

    key: str
    level: Level
    when: Fact = Fact.ALWAYS
    """The fact that makes a conditional (or recommended, or opt-in) attribute apply."""
    type: str = STRING
    values: frozenset[str] | None = None
    """Well-known values: when one applies the spec says it MUST be used (we use no custom values)."""
    exactly: bool = False
    """"If and only if": the attribute must be absent when the condition does not hold."""
    condition: str = ""
    """The spec's own words for the condition."""


@dataclass(frozen=True)
class SpanDefinition:
    """A span definition of the GenAI conventions."""

    id: str
    source: str
    operation: frozenset[str]
    kind: SpanKind
    name: str
    """Span name template (``{gen_ai.operation.name} {gen_ai.request.model}``...), a SHOULD."""
    attributes: tuple[Attr, ...] = field(default=())


ERROR_TYPE = Attr("error.type", Level.CONDITIONAL, Fact.ERROR, condition="if the operation ended in an error")
PROVIDERS = frozenset(
    {
        "anthropic",
        "aws.bedrock",
        "azure.ai.inference",
        "azure.ai.openai",
        "cohere",
        "deepseek",
        "gcp.gemini",
        "gcp.gen_ai",
        "gcp.vertex_ai",
        "groq",
        "ibm.watsonx.ai",
        "mistral_ai",
        "moonshot_ai",
        "openai",
        "perplexity",
        "x_ai",
    }
)
"""Well-known ``gen_ai.provider.name`` values (the same list on every page). One of them MUST be used when it
applies; otherwise a custom value MAY be (``llama_index`` for a custom LlamaIndex LLM...), so the definitions do
not restrict the value to this list: each test asserts the provider it expects."""
OUTPUT_TYPES = frozenset({"image", "json", "speech", "text"})


def _agent_identity(name_level: Level) -> tuple[Attr, ...]:
    return (
        Attr("gen_ai.agent.name", name_level, Fact.AGENT_NAME, condition="when available"),
        Attr("gen_ai.agent.id", Level.CONDITIONAL, Fact.AGENT_ID, condition="if applicable"),
    )


_INFERENCE_ATTRIBUTES = (
    Attr("gen_ai.operation.name", Level.REQUIRED, values=frozenset({"chat", "generate_content", "text_completion"})),
    Attr("gen_ai.provider.name", Level.REQUIRED),
    ERROR_TYPE,
    Attr("gen_ai.conversation.id", Level.CONDITIONAL, Fact.CONVERSATION, condition="when available"),
    Attr(
        "gen_ai.output.type",
        Level.CONDITIONAL,
        Fact.OUTPUT_TYPE,
        values=OUTPUT_TYPES,
        condition="when applicable and if the request includes an output format",
    ),
    Attr(
        "gen_ai.request.choice.count",
        Level.CONDITIONAL,
        Fact.CHOICE_COUNT,
        INT,
        condition="if available, in the request, and !=1",
    ),
    Attr("gen_ai.request.model", Level.CONDITIONAL, Fact.MODEL, condition="If available."),
    Attr(
        "gen_ai.request.seed",
        Level.CONDITIONAL,
        Fact.SEED,
        INT,
        condition="if applicable and if the request includes a seed",
    ),
    Attr(
        "gen_ai.request.stream",
        Level.CONDITIONAL,
        Fact.STREAM,
        BOOL,
        exactly=True,
        condition="If and only if the request is streaming. If unset, the request is assumed to be non-streaming.",
    ),
    Attr("gen_ai.request.top_k", Level.CONDITIONAL, Fact.TOP_K, NUMBER, condition="if applicable"),
    Attr("server.port", Level.CONDITIONAL, Fact.SERVER_ADDRESS, INT, condition="If `server.address` is set."),
    Attr("server.address", Level.RECOMMENDED, Fact.SERVER_ADDRESS),
    Attr("gen_ai.response.time_to_first_chunk", Level.RECOMMENDED, Fact.STREAM, NUMBER),
    Attr("gen_ai.input.messages", Level.OPT_IN, Fact.MESSAGES),
    Attr("gen_ai.output.messages", Level.OPT_IN, Fact.OUTPUT),
    Attr("gen_ai.system_instructions", Level.OPT_IN, Fact.SYSTEM_INSTRUCTIONS),
    Attr("gen_ai.tool.definitions", Level.OPT_IN, Fact.TOOLS),
)

INFERENCE = SpanDefinition(
    "gen_ai.inference.client",
    source("gen-ai-spans.md", "inference"),
    frozenset({"chat", "generate_content", "text_completion"}),
    SpanKind.CLIENT,
    "{gen_ai.operation.name} {gen_ai.request.model}",
    _INFERENCE_ATTRIBUTES,
)

_OPENAI_OVERRIDES = frozenset({"gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model"})
"""Inference attributes the OpenAI page restates: the provider MUST be ``openai``, the model is Required there."""

OPENAI_INFERENCE = SpanDefinition(
    "openai.inference.client",
    source("openai.md", "inference"),
    frozenset({"chat"}),
    SpanKind.CLIENT,
    "{gen_ai.operation.name} {gen_ai.request.model}",
    (
        Attr(
            "gen_ai.operation.name", Level.REQUIRED, values=frozenset({"chat", "generate_content", "text_completion"})
        ),
        Attr("gen_ai.provider.name", Level.REQUIRED, values=frozenset({"openai"}), condition='MUST be "openai"'),
        Attr("gen_ai.request.model", Level.REQUIRED),
        *(
            a
            for a in _INFERENCE_ATTRIBUTES
            if a.key not in ("gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model")
        ),
        Attr(
            "openai.request.service_tier",
            Level.CONDITIONAL,
            Fact.REQUEST_SERVICE_TIER,
            condition="if the request includes a service_tier and the value is not 'auto'",
        ),
        Attr(
            "openai.response.service_tier",
            Level.CONDITIONAL,
            Fact.RESPONSE_SERVICE_TIER,
            condition="if the response was received and includes a service_tier",
        ),
        Attr("openai.api.type", Level.RECOMMENDED, values=frozenset({"chat_completions", "responses"})),
        Attr("openai.response.system_fingerprint", Level.RECOMMENDED, Fact.SYSTEM_FINGERPRINT),
    ),
)

EMBEDDINGS = SpanDefinition(
    "gen_ai.embeddings.client",
    source("gen-ai-spans.md", "embeddings"),
    frozenset({"embeddings"}),
    SpanKind.CLIENT,
    "{gen_ai.operation.name} {gen_ai.request.model}",
    (
        Attr("gen_ai.operation.name", Level.REQUIRED, values=frozenset({"embeddings"})),
        Attr("gen_ai.provider.name", Level.REQUIRED),
        ERROR_TYPE,
        Attr("gen_ai.request.model", Level.CONDITIONAL, Fact.MODEL, condition="If available."),
        Attr("server.port", Level.CONDITIONAL, Fact.SERVER_ADDRESS, INT, condition="If `server.address` is set."),
        Attr("server.address", Level.RECOMMENDED, Fact.SERVER_ADDRESS),
    ),
)

EXECUTE_TOOL = SpanDefinition(
    "gen_ai.execute_tool.internal",
    source("gen-ai-spans.md", "execute-tool-span"),
    frozenset({"execute_tool"}),
    SpanKind.INTERNAL,
    "execute_tool {gen_ai.tool.name}",
    (
        Attr("gen_ai.operation.name", Level.REQUIRED, values=frozenset({"execute_tool"})),
        Attr("gen_ai.tool.name", Level.REQUIRED),
        ERROR_TYPE,
        Attr("gen_ai.tool.call.id", Level.RECOMMENDED, Fact.TOOL_CALL_ID, condition="if available"),
        Attr("gen_ai.tool.description", Level.RECOMMENDED, Fact.TOOL_DESCRIPTION, condition="if available"),
        Attr("gen_ai.tool.type", Level.RECOMMENDED, values=frozenset({"function", "extension", "datastore"})),
        Attr("gen_ai.tool.call.arguments", Level.OPT_IN),
        Attr("gen_ai.tool.call.result", Level.OPT_IN, Fact.TOOL_RESULT),
    ),
)

INVOKE_AGENT = SpanDefinition(
    "gen_ai.invoke_agent.internal",
    source("gen-ai-agent-spans.md", "invoke-agent-internal-span"),
    frozenset({"invoke_agent"}),
    SpanKind.INTERNAL,
    "invoke_agent {gen_ai.agent.name}",
    (
        Attr("gen_ai.operation.name", Level.REQUIRED, values=frozenset({"invoke_agent"})),
        Attr("gen_ai.provider.name", Level.REQUIRED),
        ERROR_TYPE,
        Attr("gen_ai.agent.description", Level.CONDITIONAL, Fact.AGENT_DESCRIPTION, condition="when available"),
        *_agent_identity(Level.CONDITIONAL),
        Attr("gen_ai.agent.version", Level.CONDITIONAL, Fact.AGENT_VERSION, condition="when available"),
        Attr("gen_ai.conversation.id", Level.CONDITIONAL, Fact.CONVERSATION, condition="when available"),
        Attr("gen_ai.request.model", Level.CONDITIONAL, Fact.MODEL, condition="If available."),
        Attr("gen_ai.request.seed", Level.CONDITIONAL, Fact.SEED, INT, condition="if the request includes a seed"),
    ),
)

INVOKE_WORKFLOW = SpanDefinition(
    "gen_ai.invoke_workflow.internal",
    source("gen-ai-agent-spans.md", "invoke-workflow-span"),
    frozenset({"invoke_workflow"}),
    SpanKind.INTERNAL,
    "invoke_workflow {gen_ai.workflow.name}",
    (
        Attr("gen_ai.operation.name", Level.REQUIRED, values=frozenset({"invoke_workflow"})),
        ERROR_TYPE,
        Attr("gen_ai.workflow.name", Level.CONDITIONAL, Fact.WORKFLOW_NAME, condition="when available"),
    ),
)

PLAN = SpanDefinition(
    "gen_ai.plan.internal",
    source("gen-ai-agent-spans.md", "plan-span"),
    frozenset({"plan"}),
    SpanKind.INTERNAL,
    "plan {gen_ai.agent.name}",
    (
        Attr("gen_ai.operation.name", Level.REQUIRED, values=frozenset({"plan"})),
        ERROR_TYPE,
        *_agent_identity(Level.CONDITIONAL),
    ),
)


@dataclass(frozen=True)
class Deviation:
    """Span names we knowingly choose over the spec's SHOULD, and why."""

    names: tuple[str, ...]
    reason: str


DEVIATIONS: dict[str, Deviation] = {
    PLAN.id: Deviation(
        ("step {agent_trace.step.name}", "step {agent_trace.step.index}"),
        "a planning step is one step of its run, named like the others (the manual API by its name, smolagents by "
        "its number): the name tells steps apart in the tree and replay serves steps by it; `plan {agent}` would "
        "give every planning step of an agent the same name",
    ),
}
"""Span names that are not the spec's (a SHOULD), by definition id."""
