"""The redaction rule set: every rule on a realistic example, a false-positive corpus, hostile input, configuration."""

from __future__ import annotations

import base64
import json
import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from otel_agent_trace._internal import redact
from otel_agent_trace._internal._secret_rules import RULES, rule_table
from otel_agent_trace._internal.redact import REDACTED, Redactor, is_secret_key, might_contain_secret
from otel_agent_trace._internal.settings import ConfigurationError, Settings
from otel_agent_trace.configuration import SecretRule  # the public import path users are shown in the docs
from otel_agent_trace.environment_variables import OTEL_AGENT_TRACE_REDACT_DISABLE, OTEL_AGENT_TRACE_REDACT_PATTERNS
from tests.core._secret_samples import ALNUM, EXTRA_SHAPES, HEX, SAMPLES, rnd

ALL_IDS = [rule.id for rule in RULES]
DEFAULT = Redactor()
ENGINES = ["aho", "find"]


def test_rule_set_size_and_samples_cover_every_rule() -> None:
    assert len(RULES) >= 60
    assert len(set(ALL_IDS)) == len(ALL_IDS)
    assert sorted(SAMPLES) == sorted(ALL_IDS)
    for rule in RULES:
        assert rule.prefixes or rule.keywords, rule.id  # every rule is found through a literal


@pytest.mark.parametrize("rule_id", ALL_IDS)
def test_each_rule_alone_redacts_its_example_and_keeps_the_text_around(rule_id: str) -> None:
    text, body = SAMPLES[rule_id]()
    only = Redactor(disabled_rules=[i for i in ALL_IDS if i != rule_id])
    out, n = only.redact_text(f"before: {text} :after")
    assert body not in out, (rule_id, out)
    assert n >= 1
    assert out.startswith("before: ") and out.endswith(" :after")
    assert REDACTED in out


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("shape", sorted({**SAMPLES, **EXTRA_SHAPES}))
def test_every_shape_is_redacted_by_the_default_rules(shape: str, engine: str) -> None:
    text, body = {**SAMPLES, **EXTRA_SHAPES}[shape]()
    redactor = Redactor(engine=engine)
    for value in (text, f"log line one\n{text}\nlog line three", json.dumps({"output": text})):
        out, n = redactor.redact_attribute("tool.result", value)
        assert body not in out, (shape, out)
        assert n >= 1
    assert redactor.might_contain_secret(text)


def test_surrounding_text_is_kept() -> None:
    password = rnd(14)
    out, n = DEFAULT.redact_text(f"connect to postgres://app:{password}@db:5432/app then retry")
    assert out == f"connect to postgres://app:{REDACTED}@db:5432/app then retry"
    assert n == 1
    long_jwt = "eyJhbGciOiJIUzI1NiJ9.eyJ" + rnd(30_000) + "." + rnd(43)
    assert DEFAULT.redact_text(f"a {long_jwt} b") == (f"a {REDACTED} b", 1)  # longer than the rule's window
    long_key = "sk-proj-" + rnd(5000)
    assert DEFAULT.redact_text(f"a {long_key} b") == (f"a {REDACTED} b", 1)
    key = "sk-proj-" + rnd(40)
    out, n = DEFAULT.redact_text(f"keys {key} and {key}.")
    assert out == f"keys {REDACTED} and {REDACTED}."
    assert n == 2
    out, _ = DEFAULT.redact_text(f"GET /v1?api_key={rnd(20)}&page=2&access_token={rnd(20)}")
    assert out == f"GET /v1?api_key={REDACTED}&page=2&access_token={REDACTED}"
    out, _ = DEFAULT.redact_text(f"Authorization: Bearer {rnd(30)}\nAccept: */*")
    assert out == f"Authorization: Bearer {REDACTED}\nAccept: */*"


def _png_data_url(size: int) -> str:
    raw = bytes((i * 7919) % 256 for i in range(size))
    return "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + raw).decode()


FALSE_POSITIVES = [
    "Please use the password reset link; the token expires after one hour.",
    "The secret sauce is butter. Our secret: patience. Keep your tokens safe.",
    "Bearer tokens and basic authentication are both supported by the API gateway.",
    "The model used 512 tokens: prompt_tokens=300, completion_tokens=212, max_tokens=1024.",
    "Count of tokens: 12345678 over the whole session; token: expired.",
    "123e4567-e89b-12d3-a456-426614174000 and 550e8400-e29b-41d4-a716-446655440000",
    "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 fixes #42",
    "sha256: 3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b",
    "md5 9e107d9d372bb6826bd81d3542a419d6, sha1 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
    "https://example.com/docs/install?lang=en&page=2#section-3",
    "ssh://git@github.com/org/repo.git and https://user@example.com/path and mailto:bob@example.com",
    "http://localhost:8080/v1/chat/completions and https://api.openai.com:443/v1",
    "version 1.2.3-rc.1, python 3.12.7, numpy==2.1.0, build 20241201.153000",
    "order 4111111111111111 shipped; phone +1 415 555 2671; id 18446744073709551615",
    "# Title\n\n- item one\n- **bold** and `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
    'client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])\npassword = getpass.getpass()\n',
    "def login(user, password):\n    token = get_token(user, password)\n"
    "    return session.post(url, auth=(user, password))\n",
    "headers = {'Authorization': f'Bearer {token}'}\nsecret = load_secret(name)\n",
    "const token = await getToken();\nfetch(url, { headers: { Authorization: `Bearer ${token}` } });\n",
    "if (!apiKey) throw new Error('missing api key');\nconst pwd = process.cwd();\n",
    "f(password=password, token=token, api_key=api_key)",
    "cache-key-9e107d9d372bb6826bd81d3542a419d6 hit; AC/DC rocks; the KEY-value store",
    "SECRET_KEY = settings.SECRET_KEY\nself.api_key = config.api_key\n",
    "The API key is stored in the environment variable OPENAI_API_KEY; export OPENAI_API_KEY=$(cat key.txt)",
    "Use `Authorization: Bearer <token>`, set password: <your password>, api_key: ${OPENAI_API_KEY}",
    "The skeleton key; ask-me-anything; task-force; AKIA is an AWS prefix; sk- keys start with sk-.",
    "Tokens per second: 85.3. The basic plan costs $10. Secret Service agents arrived.",
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("text", FALSE_POSITIVES)
def test_false_positive_corpus_is_left_alone(text: str, engine: str) -> None:
    redactor = Redactor(engine=engine)
    assert redactor.redact_text(text) == (text, 0)
    assert redactor.redact_attribute("gen_ai.completion", text) == (text, 0)


def test_hashes_images_and_code_are_left_alone() -> None:
    image = _png_data_url(4096)
    assert DEFAULT.redact_text(image) == (image, 0)
    hashes = " ".join(rnd(64, HEX) for _ in range(50)) + " " + " ".join(rnd(40, HEX) for _ in range(50))
    assert DEFAULT.redact_text(hashes) == (hashes, 0)
    source = Path(redact.__file__).read_text()
    assert DEFAULT.redact_text(source)[1] == 0
    doc = json.dumps({"messages": [{"role": "user", "content": FALSE_POSITIVES[0]}], "max_tokens": 100})
    assert DEFAULT.redact_attribute("gen_ai.input.messages", doc) == (doc, 0)


def test_secret_keys_replace_the_whole_value() -> None:
    for key in ("password", "api_key", "Authorization", "http.request.header.authorization", "x-api-key",
                "client_secret", "aws_secret_access_key", "refresh_token", "openai.api_key", "apiKey"):  # fmt: skip
        assert is_secret_key(key), key
        assert DEFAULT.redact_attribute(key, "anything") == (REDACTED, 1)
    for key in ("gen_ai.usage.input_tokens", "max_tokens", "tokenizer", "agent_trace.state.key", "monkey", "path"):
        assert not is_secret_key(key), key
    value = {"user": "bob", "password": "x", "nested": [{"API_KEY": 1, "n": None}], "token": None}
    out, n = DEFAULT.redact_value(value)
    assert out == {"user": "bob", "password": REDACTED, "nested": [{"API_KEY": REDACTED, "n": None}], "token": None}
    assert n == 2
    assert DEFAULT.redact_attribute("http.request.header.authorization", ("a", "b")) == ((REDACTED, REDACTED), 2)


def test_json_inside_strings_and_python_repr() -> None:
    inner = json.dumps({"password": "p4ss-" + rnd(10), "keep": "me"})
    outer = json.dumps({"content": inner, "role": "tool"})
    out, n = DEFAULT.redact_attribute("tool.result", outer)
    assert n == 1
    assert json.loads(json.loads(out)["content"]) == {"password": REDACTED, "keep": "me"}
    body = rnd(12)
    out, _ = DEFAULT.redact_text(f"result: {{'api_key': '{body}', 'n': 3}}")
    assert out == f"result: {{'api_key': '{REDACTED}', 'n': 3}}"


def _duration(func: object, arg: str) -> float:
    start = time.perf_counter()
    func(arg)  # type: ignore[operator]
    return time.perf_counter() - start


HOSTILE = {
    "a": lambda n: "a" * n,
    "sk-": lambda n: "sk-" * (n // 3),
    "pem-no-end": lambda n: "-----BEGIN RSA PRIVATE KEY-----" * (n // 31),
    "https": lambda n: "https://" + "a" * n,
    "equals": lambda n: "=" * n,
    "json-nesting": lambda n: '{"a":' * (n // 5),
    "password": lambda n: "password" * (n // 8),
    "telegram": lambda n: ":AA" * (n // 3),
    "userinfo": lambda n: "://a:" * (n // 5),
    "A": lambda n: "A" * n,
    "quote": lambda n: 'token="' + "x" * n,
    "header": lambda n: "Authorization: " * (n // 15),
    "jwt": lambda n: "eyJ" * (n // 3),
    "jwt-dots": lambda n: ("eyJhbGciOi." + "b" * 100) * (n // 111),
    "assign-quoted": lambda n: 'token="a' * (n // 8),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("shape", sorted(HOSTILE))
def test_hostile_input_is_linear(shape: str, engine: str) -> None:
    redactor = Redactor(engine=engine)
    small, large = HOSTILE[shape](25_000), HOSTILE[shape](500_000)
    redactor.redact_attribute("x", small)  # warm-up
    t_small = min(_duration(lambda t: redactor.redact_attribute("x", t), small) for _ in range(3))
    t_large = _duration(lambda t: redactor.redact_attribute("x", t), large)
    # 20x the input: linear is ~20x; quadratic would be ~400x. A generous factor absorbs noise on a shared box.
    assert t_large < max(t_small, 1e-3) * 80, (shape, t_small, t_large)


def test_never_raises_on_hostile_values() -> None:
    class Bad(str):
        def lower(self) -> str:  # type: ignore[override]
            raise RuntimeError("boom")

    class BadDict(dict):  # type: ignore[type-arg]
        def items(self):  # type: ignore[no-untyped-def, override]
            raise RuntimeError("boom")

    cyclic: list[object] = []
    cyclic.append(cyclic)
    deep: object = "x"
    for _ in range(10_000):
        deep = {"a": deep}
    assert DEFAULT.redact_text(Bad("sk-" + rnd(30))) == (REDACTED, 1)
    assert DEFAULT.redact_value(BadDict(a=1)) == (REDACTED, 1)
    out, n = DEFAULT.redact_value(cyclic)
    assert n >= 1
    assert redact.TOO_DEEP in repr(out)
    out, n = DEFAULT.redact_value(deep)
    assert n == 1 and redact.TOO_DEEP in json.dumps(out)
    nested = '{"a":' * 100_000 + "1" + "}" * 100_000
    assert DEFAULT.redact_attribute("x", nested)[0] == nested
    assert DEFAULT.redact_attribute("x", "[" + "1" * 5000 + "]") == ("[" + "1" * 5000 + "]", 0)
    assert DEFAULT.redact_text(123) == (123, 0)  # type: ignore[arg-type]
    assert DEFAULT.redact_attribute("x", 1.5) == (1.5, 0)
    assert DEFAULT.redact_attribute("x", ("a", 1)) == (("a", 1), 0)
    assert DEFAULT.redact_text("\u0130" * 10 + " sk-" + "k" * 30) == ("\u0130" * 10 + " " + REDACTED, 1)


def test_disable_and_extra_rules() -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0." + rnd(43)
    assert Redactor(disabled_rules=("jwt",)).redact_text(token) == (token, 0)
    assert DEFAULT.redact_text(token) == (REDACTED, 1)
    custom = "ACME-" + rnd(12, "0123456789")
    assert Redactor([re.compile(r"ACME-\d{12}")]).redact_text(f"id {custom}") == (f"id {REDACTED}", 1)
    assert Redactor([r"(ref=)\w+"]).redact_text("ref=abc def") == (f"ref={REDACTED} def", 1)
    rule = SecretRule("acme-key", "ACME key", r"acme_(?P<secret>[a-z0-9]{16})", prefixes=("acme_",))
    body = rnd(16, "abcdefghijklmnopqrstuvwxyz0123456789")
    assert Redactor([rule]).redact_text(f"acme_{body}") == (f"acme_{REDACTED}", 1)
    assert Redactor([rule], disabled_rules=["acme-key"]).redact_text(f"acme_{body}")[1] == 0
    with pytest.raises(ConfigurationError, match="nope"):
        Redactor(disabled_rules=["nope"])
    with pytest.raises(ConfigurationError, match="redact_patterns"):
        Redactor(["(unclosed"])


def test_settings_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(OTEL_AGENT_TRACE_REDACT_DISABLE, "jwt, url-userinfo")
    monkeypatch.setenv(OTEL_AGENT_TRACE_REDACT_PATTERNS, r"ACME-\d{6};;ZZZ-\d{3}")
    settings = Settings.from_env()
    assert settings.redact_disable == ("jwt", "url-userinfo")
    redactor = Redactor.from_settings(settings)
    assert redactor.redact_text("postgres://u:p@h ACME-123456")[0] == f"postgres://u:p@h {REDACTED}"
    monkeypatch.setenv(OTEL_AGENT_TRACE_REDACT_DISABLE, "jwt,bogus-rule")
    with pytest.raises(ConfigurationError, match=f"{OTEL_AGENT_TRACE_REDACT_DISABLE}.*bogus-rule"):
        Settings.from_env()


def test_init_takes_redact_disable_and_secret_rules(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from otel_agent_trace._internal.settings import get_settings, set_settings
    from otel_agent_trace.configuration import init

    monkeypatch.delenv(OTEL_AGENT_TRACE_REDACT_DISABLE, raising=False)
    rule = SecretRule("acme-key", "ACME key", r"acme_[a-z0-9]{16}", prefixes=("acme_",))
    try:
        provider = init(exporters="none", store_dir=tmp_path, redact_patterns=[r"X-\d+", rule],
                        redact_disable=["jwt"], instrumentors="none", set_global=False)  # fmt: skip
        settings = get_settings()
        assert settings.redact_disable == ("jwt",)
        assert settings.redact_rules == (rule,)
        assert [p.pattern for p in settings.redact_patterns] == [r"X-\d+"]
        provider.shutdown()
        with pytest.raises(ConfigurationError, match="redact_disable"):
            init(exporters="none", redact_disable="no-such-rule", instrumentors="none", set_global=False)
    finally:
        set_settings(None)


def test_might_contain_secret_is_a_superset() -> None:
    assert not might_contain_secret("plain words about the weather")
    assert might_contain_secret("ghp_" + rnd(36))
    assert might_contain_secret("PASSWORD=x")
    prefilter = redact.DEFAULT_PATTERNS[0]
    for make in SAMPLES.values():
        assert prefilter.search(make()[0])


def test_rule_table_in_docs_is_current() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "redaction.md").read_text()
    table = rule_table()
    hint = (
        "regenerate: python -c 'from otel_agent_trace._internal._secret_rules import rule_table; print(rule_table())'"
    )
    assert table in doc, hint
    assert all(f"`{rule_id}`" in table for rule_id in ALL_IDS)
    assert ALNUM  # the samples module is importable (used by the leak matrix too)


_FRAGMENTS = [
    "sk-", "ghp_", "AKIA", "password", "=", ":", '"', "'", "://", "@", "-----BEGIN RSA PRIVATE KEY-----", "\n", " ",
    "token", "Bearer ", "{", "}", "[", "]", "\\", "eyJ", ".", "?", "&", ";", "api_key", "AccountKey=", ":AA", "A",
]  # fmt: skip
_texts = st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.text(alphabet=ALNUM, max_size=40)), max_size=60).map(
    "".join
)
_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | _texts,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_texts | st.sampled_from(["password", "x"]), inner),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(text=_texts)
def test_property_redact_text_is_total_and_idempotent(text: str) -> None:
    out, n = DEFAULT.redact_text(text)
    assert isinstance(out, str)
    assert n >= 0
    assert (out == text) == (n == 0)
    assert DEFAULT.redact_text(out) == (out, 0)  # what was redacted is not found again
    if not DEFAULT.might_contain_secret(text):
        assert n == 0


@settings(max_examples=300, deadline=None)
@given(value=_values)
def test_property_redact_value_and_attribute_never_raise(value: object) -> None:
    out, n = DEFAULT.redact_value(value)
    assert n >= 0
    json.dumps(out, default=str)
    if isinstance(value, str):
        assert DEFAULT.redact_attribute("k", value)[1] >= 0
