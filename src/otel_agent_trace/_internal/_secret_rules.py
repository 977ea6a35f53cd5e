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

from dataclasses import dataclass

GATE_RANDOM = "random"
"""The secret is at least 8 characters and mixes two of lower case, upper case and digits."""
GATE_ENTROPY = "entropy"
"""`GATE_RANDOM` plus a Shannon entropy of at least ``ENTROPY_THRESHOLD`` bits per character."""
GATE_ASSIGNMENT = "assignment"
"""An unquoted value assigned to a secret-named key (see ``Redactor`` for the context rules)."""

ENTROPY_THRESHOLD = 3.0
"""Bits per character. Random base62/hex strings of 16+ characters score 3.5-5.5; English words and identifiers
of the same length mostly score below 3.0 (``password123`` 3.28, ``configuration`` 3.18), so the gate also requires
two character classes."""


@dataclass(frozen=True)
class SecretRule:
    """One secret shape.

    Attributes:
        id: Stable identifier, used to disable the rule (``disabled_rules=("jwt",)``).
        description: What the rule finds.
        regex: Python regular expression, tried at each occurrence of a literal; group ``secret`` is replaced.
            Rules found by ``keywords`` are compiled case-insensitive, rules found by ``prefixes`` case-sensitive.
        prefixes: Case-sensitive literals at which the match starts (or ends ``back`` characters later).
        keywords: Case-insensitive literals (lower case) at which the match starts.
        back: How many characters before the literal the match starts (0: at the literal).
        back_min: With a variable-length part before the literal, the fewest characters before it (the match
            is tried at each start from ``back`` to ``back_min`` characters before); -1 means ``back``.
        window: The longest match in characters; a secret running past it is extended over token characters.
        gate: ``""`` (none), `GATE_RANDOM`, `GATE_ENTROPY` or `GATE_ASSIGNMENT`.
    """

    id: str
    description: str
    regex: str
    prefixes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    back: int = 0
    back_min: int = -1
    window: int = 1200
    gate: str = ""


def _p(
    rule_id: str, description: str, regex: str, *prefixes: str, back: int = 0, back_min: int = -1, window: int = 1200
) -> SecretRule:
    return SecretRule(rule_id, description, regex, prefixes=prefixes, back=back, back_min=back_min, window=window)


def _k(rule_id: str, description: str, regex: str, *keywords: str, gate: str = "", window: int = 1200) -> SecretRule:
    return SecretRule(rule_id, description, regex, keywords=keywords, gate=gate, window=window)


_B = r"(?<![A-Za-z0-9_])"  # not in the middle of a longer token
_E = r"(?![A-Za-z0-9_])"  # token ends here
_NEAR = r"[\w.\-\"' ]{0,40}?(?:[:=]|=>)\s{0,5}[\"']?"  # 'keyword ... = "', at most 40 characters apart

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

RULES: tuple[SecretRule, ...] = (
    # --- AI providers -------------------------------------------------------------------------------------
    _p("anthropic-api-key", "Anthropic API or admin key (sk-ant-)", r"sk-ant-[A-Za-z0-9_\-]{20,}", "sk-ant-"),
    _p("openai-project-key", "OpenAI project key (sk-proj-)", r"sk-proj-[A-Za-z0-9_\-]{20,}", "sk-proj-"),
    _p("openai-service-account-key", "OpenAI service-account key", r"sk-svcacct-[A-Za-z0-9_\-]{20,}", "sk-svcacct-"),
    _p("openai-admin-key", "OpenAI admin key (sk-admin-)", r"sk-admin-[A-Za-z0-9_\-]{20,}", "sk-admin-"),
    _p("openrouter-api-key", "OpenRouter key (sk-or-v1-)", r"sk-or-v1-[A-Za-z0-9]{32,}", "sk-or-v1-"),
    _p("langfuse-secret-key", "Langfuse secret key (sk-lf-)", r"sk-lf-[A-Za-z0-9\-]{20,}", "sk-lf-"),
    _p(
        "openai-api-key", "OpenAI-style key (sk-...; also DeepSeek, Moonshot...)", _B + r"sk-[A-Za-z0-9_\-]{20,}", "sk-"
    ),
    _p("groq-api-key", "Groq key (gsk_)", _B + r"gsk_[A-Za-z0-9]{30,}", "gsk_"),
    _p("perplexity-api-key", "Perplexity key (pplx-)", _B + r"pplx-[A-Za-z0-9]{30,}", "pplx-"),
    _p("xai-api-key", "xAI key (xai-)", _B + r"xai-[A-Za-z0-9]{40,}", "xai-"),
    _p("replicate-api-token", "Replicate token (r8_)", _B + r"r8_[A-Za-z0-9]{30,}", "r8_"),
    _p("huggingface-token", "Hugging Face token (hf_)", _B + r"hf_[A-Za-z0-9]{30,}", "hf_"),
    _p("huggingface-org-token", "Hugging Face organization token", _B + r"api_org_[A-Za-z0-9]{30,}", "api_org_"),
    _p("langsmith-api-key", "LangSmith key (lsv2_pt_, lsv2_sk_)", r"lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}", "lsv2_"),
    _p("tavily-api-key", "Tavily key (tvly-)", _B + r"tvly-(?:dev-|prod-)?[A-Za-z0-9]{20,}", "tvly-"),
    _p("firecrawl-api-key", "Firecrawl key (fc-)", _B + r"fc-[a-f0-9]{32}" + _E, "fc-"),
    _p("pinecone-api-key", "Pinecone key (pcsk_)", _B + r"pcsk_[A-Za-z0-9_]{40,}", "pcsk_"),
    _p("elevenlabs-api-key", "ElevenLabs key (sk_ + 48 hex)", _B + r"sk_[a-f0-9]{48}" + _E, "sk_"),
    _p("together-api-key-v1", "Together AI key (tgp_v1_)", _B + r"tgp_v1_[A-Za-z0-9_\-]{30,}", "tgp_v1_"),
    _k(
        "cohere-api-key",
        "Cohere key next to a cohere keyword",
        r"co(?:here|_api_key)" + _NEAR + r"(?P<secret>[A-Za-z0-9]{40})" + _E,
        "cohere",
        "co_api_key",
    ),
    _k(
        "mistral-api-key",
        "Mistral key next to a mistral keyword",
        r"mistral" + _NEAR + r"(?P<secret>[A-Za-z0-9]{32})" + _E,
        "mistral",
    ),
    _k(
        "together-api-key",
        "Together AI key next to a together keyword",
        r"together" + _NEAR + r"(?P<secret>[a-f0-9]{64})" + _E,
        "together",
    ),
    _k(
        "azure-openai-key",
        "Azure OpenAI / Cognitive Services key next to an azure keyword",
        r"azure" + _NEAR + r"(?P<secret>[a-f0-9]{32}|[A-Za-z0-9]{84})" + _E,
        "azure",
    ),
    # --- source hosting and package registries ---------------------------------------------------------------
    _p("github-pat", "GitHub personal access token (ghp_)", _B + r"ghp_[A-Za-z0-9]{30,}", "ghp_"),
    _p("github-oauth-token", "GitHub OAuth token (gho_)", _B + r"gho_[A-Za-z0-9]{30,}", "gho_"),
    _p("github-user-token", "GitHub user-to-server token (ghu_)", _B + r"ghu_[A-Za-z0-9]{30,}", "ghu_"),
    _p("github-app-token", "GitHub server-to-server token (ghs_)", _B + r"ghs_[A-Za-z0-9]{30,}", "ghs_"),
    _p("github-refresh-token", "GitHub refresh token (ghr_)", _B + r"ghr_[A-Za-z0-9]{30,}", "ghr_"),
    _p("github-fine-grained-pat", "GitHub fine-grained token", _B + r"github_pat_[A-Za-z0-9_]{22,}", "github_pat_"),
    _p("gitlab-pat", "GitLab personal access token (glpat-)", _B + r"glpat-[A-Za-z0-9_\-]{20,}", "glpat-"),
    _p(
        "gitlab-other-token",
        "GitLab deploy, runner or pipeline token",
        _B + r"gl(?:dt|rt|ptt)-[A-Za-z0-9_\-]{20,}",
        "gldt-",
        "glrt-",
        "glptt-",
    ),
    _p("npm-token", "npm access token (npm_)", _B + r"npm_[A-Za-z0-9]{36}", "npm_"),
    _p("pypi-token", "PyPI upload token (pypi-AgEI...)", r"pypi-AgEI[A-Za-z0-9_\-]{40,}", "pypi-AgEI"),
    _p("rubygems-api-key", "RubyGems key (rubygems_)", r"rubygems_[a-f0-9]{48}", "rubygems_"),
    _p("dockerhub-pat", "Docker Hub personal access token (dckr_pat_)", r"dckr_pat_[A-Za-z0-9_\-]{27,}", "dckr_pat_"),
    # --- cloud and infrastructure --------------------------------------------------------------------------
    _p(
        "aws-access-key-id",
        "AWS access key id (AKIA, ASIA, AGPA, AIDA, AROA...)",
        _B + r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}" + _E,
        "A3T",
        "AKIA",
        "ASIA",
        "ABIA",
        "ACCA",
        "AGPA",
        "AIDA",
        "AROA",
        "AIPA",
        "ANPA",
        "ANVA",
        "APKA",
    ),
    _k(
        "aws-secret-access-key",
        "AWS secret access key (40 characters next to an aws/secret keyword)",
        r"(?:aws|secret[_-]?access[_-]?key)" + _NEAR + r"(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])",
        "aws",
        "secretaccesskey",
        "secret_access_key",
        "secret-access-key",
    ),
    _p("gcp-api-key", "Google API key (AIza)", r"AIza[0-9A-Za-z_\-]{35}", "AIza"),
    _p("gcp-oauth-client-secret", "Google OAuth client secret (GOCSPX-)", r"GOCSPX-[A-Za-z0-9_\-]{20,}", "GOCSPX-"),
    _p("gcp-oauth-access-token", "Google OAuth access token (ya29.)", _B + r"ya29\.[A-Za-z0-9_\-]{20,}", "ya29."),
    _p("gcp-refresh-token", "Google OAuth refresh token (1//)", _B + r"1//0[A-Za-z0-9_\-]{30,}", "1//0"),
    _k(
        "gcp-service-account-key-id",
        "private_key_id of a service-account JSON",
        r"private_key_id\\?[\"']?\s*:\s*\\?[\"'](?P<secret>[a-f0-9]{40})",
        "private_key_id",
    ),
    _p(
        "azure-storage-account-key",
        "Azure connection string AccountKey=",
        r"AccountKey=(?P<secret>[A-Za-z0-9+/=]{20,})",
        "AccountKey=",
    ),
    _p(
        "azure-shared-access-key",
        "Azure Service Bus / Event Hubs SharedAccessKey=",
        r"SharedAccessKey=(?P<secret>[A-Za-z0-9+/=]{20,})",
        "SharedAccessKey=",
    ),
    _p("azure-sas-signature", "Azure SAS token signature (sig=)", _B + r"sig=(?P<secret>[A-Za-z0-9%+/=]{20,})", "sig="),
    _p(
        "azure-ad-client-secret",
        "Microsoft Entra client secret (xxx8Q~...)",
        r"[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.\-]{31,34}",
        "Q~",
        back=4,
        window=44,
    ),
    _p(
        "digitalocean-token",
        "DigitalOcean token (dop_v1_, doo_v1_, dor_v1_)",
        r"do[opr]_v1_[a-f0-9]{64}",
        "dop_v1_",
        "doo_v1_",
        "dor_v1_",
    ),
    _p("databricks-token", "Databricks token (dapi)", _B + r"dapi[a-f0-9]{32}(?:-\d)?" + _E, "dapi"),
    _p("heroku-api-key-v2", "Heroku API key (HRKU-)", r"HRKU-[A-Za-z0-9_\-]{40,}", "HRKU-"),
    _k(
        "heroku-api-key",
        "Heroku API key (a UUID next to a heroku keyword)",
        r"heroku" + _NEAR + r"(?P<secret>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})",
        "heroku",
    ),
    _k(
        "cloudflare-api-token",
        "Cloudflare API token or global key next to a cloudflare keyword",
        r"cloudflare" + _NEAR + r"(?P<secret>[A-Za-z0-9_\-]{40}|[a-f0-9]{37})" + _E,
        "cloudflare",
    ),
    _p("cloudflare-origin-ca-key", "Cloudflare Origin CA key (v1.0-)", r"v1\.0-[a-f0-9]{24}-[a-f0-9]{140,}", "v1.0-"),
    _k(
        "datadog-api-key",
        "Datadog API or application key next to a datadog keyword",
        r"(?:datadog|dd[_-]api[_-]key|dd[_-]app(?:lication)?[_-]key)"
        + _NEAR
        + r"(?P<secret>[a-f0-9]{32}|[a-f0-9]{40})"
        + _E,
        "datadog",
        "dd_api_key",
        "dd-api-key",
        "dd_app",
        "dd-app",
    ),
    _k(
        "okta-api-token",
        "Okta API token (SSWS scheme or next to an okta keyword)",
        r"(?:okta" + _NEAR + r"|ssws\s+)(?P<secret>00[A-Za-z0-9_\-]{40})",
        "okta",
        "ssws",
    ),
    _p(
        "supabase-token",
        "Supabase access token or secret key (sbp_, sb_secret_)",
        _B + r"(?:sbp_[a-f0-9]{40}|sb_secret_[A-Za-z0-9_\-]{20,})",
        "sbp_",
        "sb_secret_",
    ),
    _k(
        "vercel-token",
        "Vercel token next to a vercel keyword",
        r"vercel" + _NEAR + r"(?P<secret>[A-Za-z0-9]{24})" + _E,
        "vercel",
    ),
    _p(
        "flyio-token",
        "Fly.io token (FlyV1 fm1_/fm2_, fo1_)",
        r"(?:FlyV1 fm\d_|fo1_)[A-Za-z0-9+/=,_\-]{40,}",
        "FlyV1 ",
        "fo1_",
    ),
    _p(
        "terraform-cloud-token",
        "Terraform Cloud / Enterprise token (.atlasv1.)",
        r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=\-]{60,}",
        ".atlasv1.",
        back=14,
        window=300,
    ),
    _p(
        "vault-token",
        "HashiCorp Vault token (hvs., hvb., hvr.)",
        _B + r"hv[sbr]\.[A-Za-z0-9_\-]{24,}",
        "hvs.",
        "hvb.",
        "hvr.",
    ),
    _p("pulumi-token", "Pulumi access token (pul-)", _B + r"pul-[a-f0-9]{40}" + _E, "pul-"),
    _p(
        "doppler-token",
        "Doppler token (dp.pt., dp.st., ...)",
        r"dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}",
        "dp.",
    ),
    _p("alibaba-access-key-id", "Alibaba Cloud AccessKey id (LTAI)", _B + r"LTAI[A-Za-z0-9]{20}" + _E, "LTAI"),
    _p(
        "planetscale-token",
        "PlanetScale password or token (pscale_)",
        r"pscale_(?:pw|tkn|oauth)_[\w.\-]{32,}",
        "pscale_",
    ),
    # --- SaaS ------------------------------------------------------------------------------------------------
    _p("stripe-secret-key", "Stripe secret key (sk_live_, sk_test_)", r"sk_(?:live|test)_[A-Za-z0-9]{10,}", "sk_"),
    _p(
        "stripe-restricted-key",
        "Stripe restricted key (rk_live_, rk_test_)",
        r"rk_(?:live|test)_[A-Za-z0-9]{10,}",
        "rk_",
    ),
    _p("stripe-webhook-secret", "Stripe webhook signing secret (whsec_)", r"whsec_[A-Za-z0-9+/=]{20,}", "whsec_"),
    _p(
        "slack-token",
        "Slack token (xoxb-, xoxp-, xoxa-, xoxo-, xoxs-, xoxr-)",
        r"xox[abposr]-[A-Za-z0-9\-]{10,}",
        "xox",
    ),
    _p("slack-app-token", "Slack app-level token (xapp-)", r"xapp-\d-[A-Za-z0-9\-]{10,}", "xapp-"),
    _p(
        "slack-webhook",
        "Slack incoming-webhook URL path",
        r"hooks\.slack\.com/(?P<secret>(?:services|workflows|"
        r"triggers)/[A-Za-z0-9/_+\-]{20,})",
        "hooks.slack.com/",
    ),
    _p(
        "discord-webhook",
        "Discord webhook URL token",
        r"discord(?:app)?\.com/api/webhooks/\d+/(?P<secret>[\w\-]{40,})",
        "discord.com/api/webhooks/",
        "discordapp.com/api/webhooks/",
    ),
    _k(
        "discord-bot-token",
        "Discord bot token next to a discord keyword or the Bot scheme",
        r"(?:discord"
        + _NEAR
        + r"|bot\s+)(?P<secret>[MNO][A-Za-z\d_\-]{23,27}\.[A-Za-z\d_\-]{6,7}\.[A-Za-z\d_\-]{27,40})",
        "discord",
        "bot ",
    ),
    _p(
        "telegram-bot-token",
        "Telegram bot token (digits:AA...)",
        r"(?<!\d)\d{8,10}:AA[A-Za-z0-9_\-]{33}",
        ":AA",
        back=10,
        back_min=8,
        window=50,
    ),
    _p(
        "teams-webhook",
        "Microsoft Teams incoming-webhook URL",
        r"webhook\.office\.com/(?P<secret>webhookb2/[\w@\-/]{40,})",
        "webhook.office.com/",
    ),
    _p("sendgrid-api-key", "SendGrid key (SG.x.y)", _B + r"SG\.[A-Za-z0-9_\-]{16,32}\.[A-Za-z0-9_\-]{30,50}", "SG."),
    _p("twilio-api-key", "Twilio API key SID (SK + 32 hex)", _B + r"SK[0-9a-fA-F]{32}" + _E, "SK"),
    _p("twilio-account-sid", "Twilio account SID (AC + 32 hex)", _B + r"AC[0-9a-f]{32}" + _E, "AC"),
    _p("mailgun-api-key", "Mailgun key (key-)", _B + r"key-[0-9a-f]{32}" + _E, "key-"),
    _p(
        "mailchimp-api-key",
        "Mailchimp key (32 hex + -us12)",
        _B + r"[0-9a-f]{32}-us\d{1,2}" + _E,
        "-us",
        back=32,
        window=40,
    ),
    _p("shopify-token", "Shopify token (shpat_, shpss_, shpca_, shppa_)", r"shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}", "shp"),
    _p(
        "square-token",
        "Square access token or secret (sq0atp-, sq0csp-, EAAA)",
        r"(?:sq0atp-[A-Za-z0-9_\-]{22,}|sq0csp-[A-Za-z0-9_\-]{40,}|EAAA[A-Za-z0-9_\-]{60,})",
        "sq0",
        "EAAA",
    ),
    _p(
        "braintree-access-token",
        "PayPal Braintree access token (access_token$production$...)",
        r"access_token\$(?:production|sandbox)\$[a-z0-9]{16}\$[a-f0-9]{32}",
        "access_token$",
    ),
    _p("linear-api-key", "Linear key (lin_api_)", r"lin_api_[A-Za-z0-9]{40}", "lin_api_"),
    _p(
        "notion-token",
        "Notion integration token (secret_, ntn_)",
        _B + r"(?:secret_[A-Za-z0-9]{43}|ntn_[A-Za-z0-9]{40,})" + _E,
        "secret_",
        "ntn_",
    ),
    _p("atlassian-api-token", "Atlassian API token (ATATT)", r"ATATT[A-Za-z0-9_\-=]{50,}", "ATATT"),
    _p(
        "grafana-token",
        "Grafana service-account token or Cloud token (glsa_, glc_, eyJrIjoi)",
        r"(?:glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,}={0,2}|eyJrIjoi[A-Za-z0-9+/]{40,}={0,2})",
        "glsa_",
        "glc_",
        "eyJrIjoi",
    ),
    _p("newrelic-key", "New Relic key (NRAK-, NRII-, NRJS-, NRRA-)", r"NR(?:AK|II|JS|RA)-[A-Za-z0-9]{20,}", "NR"),
    _p("sentry-token", "Sentry auth token (sntrys_, sntryu_)", r"sntry[su]_[A-Za-z0-9+/=_]{40,}", "sntry"),
    _p("postman-api-key", "Postman key (PMAK-)", r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}", "PMAK-"),
    _p("airtable-pat", "Airtable personal access token", _B + r"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}", "pat"),
    _p("dropbox-token", "Dropbox short-lived token (sl.)", _B + r"sl\.[A-Za-z0-9_\-]{120,}", "sl."),
    _p(
        "mapbox-secret-token",
        "Mapbox secret token (sk.eyJ)",
        r"sk\.eyJ[A-Za-z0-9_\-]{40,}\.[A-Za-z0-9_\-]{20,}",
        "sk.eyJ",
    ),
    _p(
        "twitter-bearer-token",
        "X / Twitter app bearer token (AAAA...)",
        r"A{20,}[A-Za-z0-9%]{30,}",
        "AAAAAAAAAAAAAAAAAAAA",
    ),
    _p(
        "age-secret-key",
        "age encryption secret key",
        r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
        "AGE-SECRET-KEY-1",
    ),
    # --- generic shapes -------------------------------------------------------------------------------------
    _p(
        "private-key",
        "PEM private key block (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP), also without END line",
        r"-----BEGIN[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----(?P<secret>(?:(?!-----END)[\s\S]){1,65536}"
        r"(?:-----END[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----)?)",
        "-----BEGIN",
        window=70000,
    ),
    _p(
        "jwt",
        "JSON Web Token (eyJ...)",
        _B + r"eyJ[A-Za-z0-9_\-]{8,512}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
        "eyJ",
        window=65536,
    ),
    _p(
        "url-userinfo",
        "Password in a URL (scheme://user:password@host: postgres, mysql, mongodb+srv, redis, amqp, https...)",
        r"://[^\s:/?#@\"'<>\[\]]{0,256}:(?P<secret>[^\s/?#@\"'<>]{1,512})@",
        "://",
    ),
    _k(
        "auth-header",
        "Authorization, X-Api-Key, Cookie and similar header values written in text",
        r"(?:" + "|".join(h.replace("-", r"[-_]") for h in _HEADER_NAMES) + r")\\?[\"']?[ \t]{0,5}:[ \t]{0,5}"
        r"\\?[\"'`]?(?:" + _SCHEMES + r"[ \t]+)?(?!" + _SCHEMES + r"(?:\s|$))"
        r"(?P<secret>[^\s\"'`,;&$<>{}()\[\]\\]{4,})",
        *sorted({h.replace("-", sep) for h in _HEADER_NAMES for sep in "-_"}),
    ),
    _k(
        "auth-scheme-token",
        "Bearer or Basic credentials (random-looking, 8+ characters)",
        r"(?:bearer|basic)[ \t]{1,5}(?P<secret>[A-Za-z0-9._~+/\-]{8,}={0,2})",
        "bearer",
        "basic",
        gate=GATE_RANDOM,
    ),
    _k(
        "connection-string-password",
        "Password=... or Pwd=...; in ODBC / ADO.NET connection strings",
        r"(?<![^;\"'])(?:password|pwd)[ \t]{0,3}=[ \t]{0,3}(?P<secret>[^;\r\n\"']{1,512})(?=;)",
        "password",
        "pwd",
    ),
    _k(
        "secret-assignment-quoted",
        'A quoted value assigned to a secret-named key: password = "...", "api_key": "...", {\'token\': \'...\'}',
        _ASSIGN + r"\\?[\"'](?P<secret>" + _QUOTED_VALUE + r")\\?[\"']",
        *_KEY_LITERALS,
    ),
    _k(
        "secret-assignment",
        "An unquoted value assigned to a secret-named key (password: x, ?api_key=x, TOKEN=x), with the context gate",
        _ASSIGN + r"(?P<secret>[^\s\"'&;,<>(){}\[\]`\\]{1,1024})",
        *_KEY_LITERALS,
        gate=GATE_ASSIGNMENT,
    ),
)
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
