"""The built-in secret rules: data only, one `SecretRule` per secret shape.

Modelled on the public rule sets of gitleaks, trufflehog, detect-secrets and GitHub secret scanning (shapes and
prefixes as documented by the providers), written for this project. Every rule names at least one literal: a
case-sensitive ``prefix`` (``ghp_``) or a case-insensitive ``keyword`` (``password``); the regular expression is only
tried where that literal occurs, and it starts exactly at the literal unless ``back`` says how many characters before
it the match may begin. A named group ``secret`` marks what is replaced (else the whole match); what surrounds it
(the key, the scheme, ``user@``) is kept. ``gate`` keeps shapes without a prefix of their own from hitting prose and
hashes (see `otel_agent_trace._internal.redact` and docs/redaction.md).
"""

from __future__ import annotations

from otel_agent_trace._internal._secret_rule_base import (
    ENTROPY_THRESHOLD,
    GATE_ASSIGNMENT,
    GATE_ENTROPY,
    GATE_RANDOM,
    NOT_AFTER_TOKEN,
    SecretRule,
    keyworded,
    prefixed,
)
from otel_agent_trace._internal._secret_rules_providers import PROVIDER_RULES

__all__ = [
    "ENTROPY_THRESHOLD",
    "GATE_ASSIGNMENT",
    "GATE_ENTROPY",
    "GATE_RANDOM",
    "RULES",
    "RULE_IDS",
    "SECRET_KEY_NAMES",
    "SecretRule",
    "rule_table",
]

SECRET_KEY_NAMES = (
    r"password|passwd|pwd|passphrase|secret(?:[_-]?(?:access[_-]?)?key)?|"
    r"(?:access|auth|refresh|id|session|bearer|api|client|security|csrf|xsrf)?[_-]?token|"
    r"api[_-]?key|apikey|access[_-]?key|private[_-]?key|secret[_-]?key|account[_-]?key|master[_-]?key|"
    r"signing[_-]?key|encryption[_-]?key|client[_-]?secret|credentials?"
)
"""Key names whose value is a secret, as a regular-expression alternation (the assignment rules and
``is_secret_key`` share it)."""

_KEY_LITERALS = (
    "password", "passwd", "pwd", "passphrase", "secret", "token", "api_key", "api-key", "apikey",
    "access_key", "access-key", "accesskey", "private_key", "private-key", "privatekey", "account_key",
    "accountkey", "master_key", "signing_key", "encryption_key", "credential",
)  # fmt: skip
_QUOTED_VALUE = r"(?:[^\"'\\\r\n]|\\[^\"'\r\n]){1,1024}"
_ASSIGN = r"(?P<key>" + SECRET_KEY_NAMES + r")\\?[\"']?\s{0,10}(?P<sep>[:=]|=>|:=)\s{0,10}"

_HEADER_NAMES = (
    "authorization", "proxy-authorization", "x-api-key", "x-goog-api-key", "x-auth-token", "x-access-token",
    "private-token", "x-amz-security-token", "ocp-apim-subscription-key", "cookie", "set-cookie", "api-key",
)  # fmt: skip
_SCHEMES = r"(?:bearer|basic|token|bot|digest|negotiate|sso-key|ssws|apikey|key)"


GENERIC_RULES: tuple[SecretRule, ...] = (
    # --- generic shapes -------------------------------------------------------------------------------------
    prefixed(
        "private-key",
        "PEM private key block (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP), also without END line",
        r"-----BEGIN[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----(?P<secret>(?:(?!-----END)[\s\S]){1,65536}"
        r"(?:-----END[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----)?)",
        "-----BEGIN",
        window=70000,
    ),
    prefixed(
        "jwt",
        "JSON Web Token (eyJ...)",
        NOT_AFTER_TOKEN + r"eyJ[A-Za-z0-9_\-]{8,512}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
        "eyJ",
        window=65536,
    ),
    prefixed(
        "url-userinfo",
        "Password in a URL (scheme://user:password@host: postgres, mysql, mongodb+srv, redis, amqp, https...)",
        r"://[^\s:/?#@\"'<>\[\]]{0,256}:(?P<secret>[^\s/?#@\"'<>]{1,512})@",
        "://",
    ),
    keyworded(
        "auth-header",
        "Authorization, X-Api-Key, Cookie and similar header values written in text",
        r"(?:" + "|".join(h.replace("-", r"[-_]") for h in _HEADER_NAMES) + r")\\?[\"']?[ \t]{0,5}:[ \t]{0,5}"
        r"\\?[\"'`]?(?:" + _SCHEMES + r"[ \t]+)?(?!" + _SCHEMES + r"(?:\s|$))"
        r"(?P<secret>[^\s\"'`,;&$<>{}()\[\]\\]{4,})",
        *sorted({h.replace("-", sep) for h in _HEADER_NAMES for sep in "-_"}),
    ),
    keyworded(
        "auth-scheme-token",
        "Bearer or Basic credentials (random-looking, 8+ characters)",
        r"(?:bearer|basic)[ \t]{1,5}(?P<secret>[A-Za-z0-9._~+/\-]{8,}={0,2})",
        "bearer",
        "basic",
        gate=GATE_RANDOM,
    ),
    keyworded(
        "connection-string-password",
        "Password=... or Pwd=...; in ODBC / ADO.NET connection strings",
        r"(?<![^;\"'])(?:password|pwd)[ \t]{0,3}=[ \t]{0,3}(?P<secret>[^;\r\n\"']{1,512})(?=;)",
        "password",
        "pwd",
    ),
    keyworded(
        "secret-assignment-quoted",
        'A quoted value assigned to a secret-named key: password = "...", "api_key": "...", {\'token\': \'...\'}',
        _ASSIGN + r"\\?[\"'](?P<secret>" + _QUOTED_VALUE + r")\\?[\"']",
        *_KEY_LITERALS,
    ),
    keyworded(
        "secret-assignment",
        "An unquoted value assigned to a secret-named key (password: x, ?api_key=x, TOKEN=x), with the context gate",
        _ASSIGN + r"(?P<secret>[^\s\"'&;,<>(){}\[\]`\\]{1,1024})",
        *_KEY_LITERALS,
        gate=GATE_ASSIGNMENT,
    ),
)

RULES: tuple[SecretRule, ...] = PROVIDER_RULES + GENERIC_RULES
"""Every built-in rule, in documentation order."""
"""Every built-in rule, in documentation order."""

RULE_IDS: frozenset[str] = frozenset(rule.id for rule in RULES)
"""Identifiers accepted by ``disabled_rules`` / ``OTEL_AGENT_TRACE_REDACT_DISABLE``."""


def rule_table() -> str:
    """The Markdown table of the built-in rules in docs/redaction.md (a test keeps the page current)."""
    lines = ["| id | finds | literals | gate |", "|---|---|---|---|"]
    for rule in RULES:
        literals = ", ".join(f"`{lit}`" for lit in (*rule.prefixes, *rule.keywords)[:6])
        if len(rule.prefixes) + len(rule.keywords) > 6:
            literals += ", ..."
        finds = rule.description.replace("|", "\\|")
        literals = literals.replace("|", "\\|")
        lines.append(f"| `{rule.id}` | {finds} | {literals} | {rule.gate or '-'} |")
    return "\n".join(lines)
