"""One realistic example per redaction rule, assembled at run time from a prefix and a random body.

Nothing here is a live secret, and no committed string looks like one: secret scanners see only prefixes. Each
sample is ``(text, body)``: ``body`` is the distinctive random part that must never be exported.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable

ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "_-"
UPPER = string.ascii_uppercase + string.digits
BECH32 = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"

_rng = random.Random()


def rnd(n: int, alphabet: str = ALNUM) -> str:
    """A random string that always mixes character classes (upper, lower, digit) where the alphabet allows."""
    while True:
        out = "".join(_rng.choice(alphabet) for _ in range(n))
        classes = sum((any(c.islower() for c in out), any(c.isupper() for c in out), any(c.isdigit() for c in out)))
        wanted = sum((any(c.islower() for c in alphabet), any(c.isupper() for c in alphabet))) + any(
            c.isdigit() for c in alphabet
        )
        if classes == wanted or n < 6:
            return out


def _plain(prefix: str, n: int, alphabet: str = ALNUM, suffix: str = "") -> Callable[[], tuple[str, str]]:
    def make() -> tuple[str, str]:
        body = rnd(n, alphabet)
        return prefix + body + suffix, body

    return make


def _ctx(template: str, n: int, alphabet: str = ALNUM) -> Callable[[], tuple[str, str]]:
    """``template`` holds ``{s}`` where the random body goes."""

    def make() -> tuple[str, str]:
        body = rnd(n, alphabet)
        return template.format(s=body), body

    return make


def _pem(kind: str, end: bool) -> Callable[[], tuple[str, str]]:
    def make() -> tuple[str, str]:
        body = rnd(64, B64)
        lines = ["-----BEGIN " + kind + "-----", "MIIEpAIBAAKCAQEA" + rnd(48, B64), body, rnd(40, B64) + "=="]
        if end:
            lines.append("-----END " + kind + "-----")
        return "\n".join(lines), body

    return make


SAMPLES: dict[str, Callable[[], tuple[str, str]]] = {
    "anthropic-api-key": _plain("sk-ant-api03-", 93, URLSAFE, "AA"),
    "openai-project-key": _plain("sk-proj-", 120, URLSAFE),
    "openai-service-account-key": _plain("sk-svcacct-", 100, URLSAFE),
    "openai-admin-key": _plain("sk-admin-", 100, URLSAFE),
    "openrouter-api-key": _plain("sk-or-v1-", 64, HEX),
    "langfuse-secret-key": _ctx("sk-lf-{s}-2f4e-4c1e-9a0b-1d2e3f4a5b6c", 8, HEX),
    "openai-api-key": _plain("sk-", 48),
    "groq-api-key": _plain("gsk_", 52),
    "perplexity-api-key": _plain("pplx-", 48),
    "xai-api-key": _plain("xai-", 80),
    "replicate-api-token": _plain("r8_", 37),
    "huggingface-token": _plain("hf_", 34),
    "huggingface-org-token": _plain("api_org_", 34),
    "langsmith-api-key": _ctx("lsv2_pt_{s}_" + "0a1b2c3d4e", 32, HEX),
    "tavily-api-key": _plain("tvly-dev-", 32),
    "firecrawl-api-key": _plain("fc-", 32, HEX),
    "pinecone-api-key": _plain("pcsk_", 60, ALNUM + "_"),
    "elevenlabs-api-key": _plain("sk_", 48, HEX),
    "together-api-key-v1": _plain("tgp_v1_", 43, URLSAFE),
    "cohere-api-key": _ctx("COHERE_API_KEY = '{s}'", 40),
    "mistral-api-key": _ctx('{{"mistral_api_key": "{s}"}}', 32),
    "together-api-key": _ctx("together api key: {s}", 64, HEX),
    "azure-openai-key": _ctx("AZURE_OPENAI_API_KEY={s}", 32, HEX),
    "github-pat": _plain("ghp_", 36),
    "github-oauth-token": _plain("gho_", 36),
    "github-user-token": _plain("ghu_", 36),
    "github-app-token": _plain("ghs_", 36),
    "github-refresh-token": _plain("ghr_", 76),
    "github-fine-grained-pat": _ctx("github_pat_11ABCDEFG0{s}", 72, ALNUM + "_"),
    "gitlab-pat": _plain("glpat-", 20, URLSAFE),
    "gitlab-other-token": _plain("glrt-", 20, URLSAFE),
    "npm-token": _plain("npm_", 36),
    "pypi-token": _ctx("pypi-AgEIcHlwaS5vcmc{s}", 70, URLSAFE),
    "rubygems-api-key": _plain("rubygems_", 48, HEX),
    "dockerhub-pat": _plain("dckr_pat_", 27, URLSAFE),
    "aws-access-key-id": _plain("ASIA", 16, UPPER),
    "aws-secret-access-key": _ctx("aws_secret_access_key = {s}", 40, B64),
    "gcp-api-key": _plain("AIza", 35, URLSAFE),
    "gcp-oauth-client-secret": _plain("GOCSPX-", 28, URLSAFE),
    "gcp-oauth-access-token": _plain("ya29.a0", 120, URLSAFE),
    "gcp-refresh-token": _plain("1//0", 60, URLSAFE),
    "gcp-service-account-key-id": _ctx('{{"type": "service_account", "private_key_id": "{s}"}}', 40, HEX),
    "azure-storage-account-key": _ctx(
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={s}==;EndpointSuffix=core.windows.net", 86, B64
    ),
    "azure-shared-access-key": _ctx(
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey={s}=", 43, B64
    ),
    "azure-sas-signature": _ctx("https://a.blob.core.windows.net/c?sv=2022-11-02&ss=b&sig={s}%3D", 43, ALNUM),
    "azure-ad-client-secret": _ctx("abc8Q~{s}", 34, ALNUM + "_~.-"),
    "digitalocean-token": _plain("dop_v1_", 64, HEX),
    "databricks-token": _plain("dapi", 32, HEX),
    "heroku-api-key-v2": _plain("HRKU-", 60, URLSAFE),
    "heroku-api-key": _ctx("HEROKU_API_KEY={s}-1b2c-4d3e-8f9a-0b1c2d3e4f5a", 8, HEX),
    "cloudflare-api-token": _ctx("CLOUDFLARE_API_TOKEN: {s}", 40, URLSAFE),
    "cloudflare-origin-ca-key": _ctx("v1.0-0123456789abcdef01234567-{s}", 146, HEX),
    "datadog-api-key": _ctx("DD_API_KEY={s}", 32, HEX),
    "okta-api-token": _ctx("Authorization: SSWS 00{s}", 40, URLSAFE),
    "supabase-token": _plain("sbp_", 40, HEX),
    "vercel-token": _ctx("VERCEL_TOKEN={s}", 24),
    "flyio-token": _ctx("FlyV1 fm2_{s}", 120, B64),
    "terraform-cloud-token": _ctx("abcdefghij0123.atlasv1.{s}", 67, URLSAFE),
    "vault-token": _plain("hvs.", 90, URLSAFE),
    "pulumi-token": _plain("pul-", 40, HEX),
    "doppler-token": _plain("dp.pt.", 43),
    "alibaba-access-key-id": _plain("LTAI", 20),
    "planetscale-token": _plain("pscale_tkn_", 43, URLSAFE),
    "stripe-secret-key": _plain("sk_live_", 99),
    "stripe-restricted-key": _plain("rk_live_", 99),
    "stripe-webhook-secret": _plain("whsec_", 32),
    "slack-token": _ctx("xoxb-1234567890-1234567890123-{s}", 24),
    "slack-app-token": _ctx("xapp-1-A0123456789-1234567890123-{s}", 64, HEX),
    "slack-webhook": _ctx("https://hooks.slack.com/services/T01ABCDEF/B01ABCDEF/{s}", 24),
    "discord-webhook": _ctx("https://discord.com/api/webhooks/123456789012345678/{s}", 68, URLSAFE),
    "discord-bot-token": _ctx("DISCORD_TOKEN = MTAxMjM0NTY3ODkwMTIzNDU2.GaBcDe.{s}", 38, URLSAFE),
    "telegram-bot-token": _ctx("https://api.telegram.org/bot123456789:AA{s}/getMe", 33, URLSAFE),
    "teams-webhook": _ctx("https://acme.webhook.office.com/webhookb2/{s}@tenant/IncomingWebhook/x/y", 40, HEX),
    "sendgrid-api-key": _ctx("SG.{s}.{s}", 32, URLSAFE),
    "twilio-api-key": _plain("SK", 32, HEX),
    "twilio-account-sid": _plain("AC", 32, HEX),
    "mailgun-api-key": _plain("key-", 32, HEX),
    "mailchimp-api-key": _plain("", 32, HEX, "-us12"),
    "shopify-token": _plain("shpat_", 32, HEX),
    "square-token": _plain("sq0atp-", 22, URLSAFE),
    "braintree-access-token": _ctx("access_token$production$abcd1234efgh5678${s}", 32, HEX),
    "linear-api-key": _plain("lin_api_", 40),
    "notion-token": _plain("ntn_", 46),
    "atlassian-api-token": _plain("ATATT3xFfGF0", 180, URLSAFE),
    "grafana-token": _ctx("glsa_{s}_0a1b2c3d", 32),
    "newrelic-key": _plain("NRAK-", 27, UPPER),
    "sentry-token": _plain("sntrys_", 80, B64),
    "postman-api-key": _ctx("PMAK-0123456789abcdef01234567-{s}", 34, HEX),
    "airtable-pat": _ctx("patAbCdEfGhIjKlMn.{s}", 64, HEX),
    "dropbox-token": _plain("sl.", 140, URLSAFE),
    "mapbox-secret-token": _ctx("sk.eyJ1IjoiYWNtZSIsImEiOiJ{s}.abcdefghijklmnopqrstuv", 40, URLSAFE),
    "twitter-bearer-token": _plain("AAAAAAAAAAAAAAAAAAAAA", 80),
    "age-secret-key": _plain("AGE-SECRET-KEY-1", 58, BECH32),
    "private-key": _pem("RSA PRIVATE KEY", end=True),
    "jwt": _ctx("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.{s}", 43, URLSAFE),
    "url-userinfo": _ctx("postgres://app_user:{s}@db.internal:5432/app", 16),
    "auth-header": _ctx("X-Api-Key: {s}", 32),
    "auth-scheme-token": _ctx("curl -H 'Bearer {s}'", 40),
    "connection-string-password": _ctx("Server=db;Database=app;User Id=sa;Password={s};Encrypt=true", 16),
    "secret-assignment-quoted": _ctx('client_secret = "{s}"', 24),
    "secret-assignment": _ctx("GET /cb?code=1&access_token={s}&state=xyz", 24),
}
"""Rule id -> a maker of ``(text, body)``; `tests/core/test_redact.py` checks it covers every rule."""

EXTRA_SHAPES: dict[str, Callable[[], tuple[str, str]]] = {
    "pem-ec-no-end": _pem("EC PRIVATE KEY", end=False),
    "pem-openssh": _pem("OPENSSH PRIVATE KEY", end=True),
    "pem-encrypted": _pem("ENCRYPTED PRIVATE KEY", end=True),
    "pem-pgp": _pem("PGP PRIVATE KEY BLOCK", end=True),
    "gcp-service-account-json": _ctx(
        '{{"type": "service_account", "private_key": '
        '"-----BEGIN PRIVATE KEY-----\\nMIIE{s}\\n-----END PRIVATE KEY-----\\n"}}',
        60,
        B64,
    ),
    "url-mysql": _ctx("mysql://root:{s}@127.0.0.1:3306/db", 14),
    "url-mongodb-srv": _ctx("mongodb+srv://admin:{s}@cluster0.abcde.mongodb.net/?retryWrites=true", 14),
    "url-redis-no-user": _ctx("redis://:{s}@cache:6379/0", 14),
    "url-amqp": _ctx("amqp://guest:{s}@rabbit:5672/", 14),
    "url-https": _ctx("https://deploy:{s}@git.example.com/repo.git", 14),
    "basic-header": _ctx("Authorization: Basic {s}==", 24, B64),
    "bearer-json-header": _ctx('{{"headers": {{"Authorization": "Bearer {s}"}}}}', 40),
    "api-key-json": _ctx('{{"api_key": "{s}", "model": "gpt-4o"}}', 20),
    "python-repr-dict": _ctx("{{'password': '{s}', 'user': 'bob'}}", 12),
    "json-in-json": _ctx('{{"content": "{{\\"token\\": \\"{s}\\"}}"}}', 24),
    "query-api-key": _ctx("https://api.example.com/v1/x?api_key={s}&page=2", 24),
    "yaml-password": _ctx("db:\n  password: {s}\n  user: app", 12),
    "env-file": _ctx("OPENAI_BASE_URL=https://x\nDB_PASSWORD={s}\n", 12),
    "odbc-pwd": _ctx("Driver={{ODBC Driver 18}};Server=tcp:db,1433;Uid=sa;Pwd={s};", 14),
    "aws-secret-json": _ctx('{{"AccessKeyId": "AKIAEXAMPLE", "SecretAccessKey": "{s}"}}', 40, B64),
    "stripe-test": _plain("sk_test_", 40),
    "aws-akia": _plain("AKIA", 16, UPPER),
    "slack-user": _ctx("xoxp-1234567890-1234567890-{s}", 32),
}
"""More shapes that existing rules must catch (variants the issue measured)."""
