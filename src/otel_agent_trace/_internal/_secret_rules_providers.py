"""Provider rules: secrets with a documented literal prefix (or a provider keyword next to them).

Shapes and prefixes as the providers document them and as the public rule sets of gitleaks, trufflehog,
detect-secrets and GitHub secret scanning describe them; written for this project.
The cloud and infrastructure rules live in `_secret_rules_cloud` (their place in the order is kept).
"""

from __future__ import annotations

from otel_agent_trace._internal._secret_rule_base import (
    NEAR,
    NOT_AFTER_TOKEN,
    TOKEN_END,
    SecretRule,
    keyworded,
    prefixed,
)
from otel_agent_trace._internal._secret_rules_cloud import CLOUD_RULES

PROVIDER_RULES: tuple[SecretRule, ...] = (
    # --- AI providers -------------------------------------------------------------------------------------
    prefixed("anthropic-api-key", "Anthropic API or admin key (sk-ant-)", r"sk-ant-[A-Za-z0-9_\-]{20,}", "sk-ant-"),
    prefixed("openai-project-key", "OpenAI project key (sk-proj-)", r"sk-proj-[A-Za-z0-9_\-]{20,}", "sk-proj-"),
    prefixed(
        "openai-service-account-key", "OpenAI service-account key", r"sk-svcacct-[A-Za-z0-9_\-]{20,}", "sk-svcacct-"
    ),
    prefixed("openai-admin-key", "OpenAI admin key (sk-admin-)", r"sk-admin-[A-Za-z0-9_\-]{20,}", "sk-admin-"),
    prefixed("openrouter-api-key", "OpenRouter key (sk-or-v1-)", r"sk-or-v1-[A-Za-z0-9]{32,}", "sk-or-v1-"),
    prefixed("langfuse-secret-key", "Langfuse secret key (sk-lf-)", r"sk-lf-[A-Za-z0-9\-]{20,}", "sk-lf-"),
    prefixed(
        "openai-api-key",
        "OpenAI-style key (sk-...; also DeepSeek, Moonshot...)",
        NOT_AFTER_TOKEN + r"sk-[A-Za-z0-9_\-]{20,}",
        "sk-",
    ),
    prefixed("groq-api-key", "Groq key (gsk_)", NOT_AFTER_TOKEN + r"gsk_[A-Za-z0-9]{30,}", "gsk_"),
    prefixed("perplexity-api-key", "Perplexity key (pplx-)", NOT_AFTER_TOKEN + r"pplx-[A-Za-z0-9]{30,}", "pplx-"),
    prefixed("xai-api-key", "xAI key (xai-)", NOT_AFTER_TOKEN + r"xai-[A-Za-z0-9]{40,}", "xai-"),
    prefixed("replicate-api-token", "Replicate token (r8_)", NOT_AFTER_TOKEN + r"r8_[A-Za-z0-9]{30,}", "r8_"),
    prefixed("huggingface-token", "Hugging Face token (hf_)", NOT_AFTER_TOKEN + r"hf_[A-Za-z0-9]{30,}", "hf_"),
    prefixed(
        "huggingface-org-token",
        "Hugging Face organization token",
        NOT_AFTER_TOKEN + r"api_org_[A-Za-z0-9]{30,}",
        "api_org_",
    ),
    prefixed(
        "langsmith-api-key", "LangSmith key (lsv2_pt_, lsv2_sk_)", r"lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}", "lsv2_"
    ),
    prefixed(
        "tavily-api-key", "Tavily key (tvly-)", NOT_AFTER_TOKEN + r"tvly-(?:dev-|prod-)?[A-Za-z0-9]{20,}", "tvly-"
    ),
    prefixed("firecrawl-api-key", "Firecrawl key (fc-)", NOT_AFTER_TOKEN + r"fc-[a-f0-9]{32}" + TOKEN_END, "fc-"),
    prefixed("pinecone-api-key", "Pinecone key (pcsk_)", NOT_AFTER_TOKEN + r"pcsk_[A-Za-z0-9_]{40,}", "pcsk_"),
    prefixed(
        "elevenlabs-api-key", "ElevenLabs key (sk_ + 48 hex)", NOT_AFTER_TOKEN + r"sk_[a-f0-9]{48}" + TOKEN_END, "sk_"
    ),
    prefixed(
        "together-api-key-v1", "Together AI key (tgp_v1_)", NOT_AFTER_TOKEN + r"tgp_v1_[A-Za-z0-9_\-]{30,}", "tgp_v1_"
    ),
    keyworded(
        "cohere-api-key",
        "Cohere key next to a cohere keyword",
        r"co(?:here|_api_key)" + NEAR + r"(?P<secret>[A-Za-z0-9]{40})" + TOKEN_END,
        "cohere",
        "co_api_key",
    ),
    keyworded(
        "mistral-api-key",
        "Mistral key next to a mistral keyword",
        r"mistral" + NEAR + r"(?P<secret>[A-Za-z0-9]{32})" + TOKEN_END,
        "mistral",
    ),
    keyworded(
        "together-api-key",
        "Together AI key next to a together keyword",
        r"together" + NEAR + r"(?P<secret>[a-f0-9]{64})" + TOKEN_END,
        "together",
    ),
    keyworded(
        "azure-openai-key",
        "Azure OpenAI / Cognitive Services key next to an azure keyword",
        r"azure" + NEAR + r"(?P<secret>[a-f0-9]{32}|[A-Za-z0-9]{84})" + TOKEN_END,
        "azure",
    ),
    # --- source hosting and package registries ---------------------------------------------------------------
    prefixed("github-pat", "GitHub personal access token (ghp_)", NOT_AFTER_TOKEN + r"ghp_[A-Za-z0-9]{30,}", "ghp_"),
    prefixed("github-oauth-token", "GitHub OAuth token (gho_)", NOT_AFTER_TOKEN + r"gho_[A-Za-z0-9]{30,}", "gho_"),
    prefixed(
        "github-user-token", "GitHub user-to-server token (ghu_)", NOT_AFTER_TOKEN + r"ghu_[A-Za-z0-9]{30,}", "ghu_"
    ),
    prefixed(
        "github-app-token", "GitHub server-to-server token (ghs_)", NOT_AFTER_TOKEN + r"ghs_[A-Za-z0-9]{30,}", "ghs_"
    ),
    prefixed("github-refresh-token", "GitHub refresh token (ghr_)", NOT_AFTER_TOKEN + r"ghr_[A-Za-z0-9]{30,}", "ghr_"),
    prefixed(
        "github-fine-grained-pat",
        "GitHub fine-grained token",
        NOT_AFTER_TOKEN + r"github_pat_[A-Za-z0-9_]{22,}",
        "github_pat_",
    ),
    prefixed(
        "gitlab-pat", "GitLab personal access token (glpat-)", NOT_AFTER_TOKEN + r"glpat-[A-Za-z0-9_\-]{20,}", "glpat-"
    ),
    prefixed(
        "gitlab-other-token",
        "GitLab deploy, runner or pipeline token",
        NOT_AFTER_TOKEN + r"gl(?:dt|rt|ptt)-[A-Za-z0-9_\-]{20,}",
        "gldt-",
        "glrt-",
        "glptt-",
    ),
    prefixed("npm-token", "npm access token (npm_)", NOT_AFTER_TOKEN + r"npm_[A-Za-z0-9]{36}", "npm_"),
    prefixed("pypi-token", "PyPI upload token (pypi-AgEI...)", r"pypi-AgEI[A-Za-z0-9_\-]{40,}", "pypi-AgEI"),
    prefixed("rubygems-api-key", "RubyGems key (rubygems_)", r"rubygems_[a-f0-9]{48}", "rubygems_"),
    prefixed(
        "dockerhub-pat", "Docker Hub personal access token (dckr_pat_)", r"dckr_pat_[A-Za-z0-9_\-]{27,}", "dckr_pat_"
    ),
    # --- cloud and infrastructure: _secret_rules_cloud.py ------------------------------------------------
    *CLOUD_RULES,
    # --- SaaS ------------------------------------------------------------------------------------------------
    prefixed(
        "stripe-secret-key", "Stripe secret key (sk_live_, sk_test_)", r"sk_(?:live|test)_[A-Za-z0-9]{10,}", "sk_"
    ),
    prefixed(
        "stripe-restricted-key",
        "Stripe restricted key (rk_live_, rk_test_)",
        r"rk_(?:live|test)_[A-Za-z0-9]{10,}",
        "rk_",
    ),
    prefixed("stripe-webhook-secret", "Stripe webhook signing secret (whsec_)", r"whsec_[A-Za-z0-9+/=]{20,}", "whsec_"),
    prefixed(
        "slack-token",
        "Slack token (xoxb-, xoxp-, xoxa-, xoxo-, xoxs-, xoxr-)",
        r"xox[abposr]-[A-Za-z0-9\-]{10,}",
        "xox",
    ),
    prefixed("slack-app-token", "Slack app-level token (xapp-)", r"xapp-\d-[A-Za-z0-9\-]{10,}", "xapp-"),
    prefixed(
        "slack-webhook",
        "Slack incoming-webhook URL path",
        r"hooks\.slack\.com/(?P<secret>(?:services|workflows|"
        r"triggers)/[A-Za-z0-9/_+\-]{20,})",
        "hooks.slack.com/",
    ),
    prefixed(
        "discord-webhook",
        "Discord webhook URL token",
        r"discord(?:app)?\.com/api/webhooks/\d+/(?P<secret>[\w\-]{40,})",
        "discord.com/api/webhooks/",
        "discordapp.com/api/webhooks/",
    ),
    keyworded(
        "discord-bot-token",
        "Discord bot token next to a discord keyword or the Bot scheme",
        r"(?:discord"
        + NEAR
        + r"|bot\s+)(?P<secret>[MNO][A-Za-z\d_\-]{23,27}\.[A-Za-z\d_\-]{6,7}\.[A-Za-z\d_\-]{27,40})",
        "discord",
        "bot ",
    ),
    prefixed(
        "telegram-bot-token",
        "Telegram bot token (digits:AA...)",
        r"(?<!\d)\d{8,10}:AA[A-Za-z0-9_\-]{33}",
        ":AA",
        back=10,
        back_min=8,
        window=50,
    ),
    prefixed(
        "teams-webhook",
        "Microsoft Teams incoming-webhook URL",
        r"webhook\.office\.com/(?P<secret>webhookb2/[\w@\-/]{40,})",
        "webhook.office.com/",
    ),
    prefixed(
        "sendgrid-api-key",
        "SendGrid key (SG.x.y)",
        NOT_AFTER_TOKEN + r"SG\.[A-Za-z0-9_\-]{16,32}\.[A-Za-z0-9_\-]{30,50}",
        "SG.",
    ),
    prefixed(
        "twilio-api-key", "Twilio API key SID (SK + 32 hex)", NOT_AFTER_TOKEN + r"SK[0-9a-fA-F]{32}" + TOKEN_END, "SK"
    ),
    prefixed(
        "twilio-account-sid", "Twilio account SID (AC + 32 hex)", NOT_AFTER_TOKEN + r"AC[0-9a-f]{32}" + TOKEN_END, "AC"
    ),
    prefixed("mailgun-api-key", "Mailgun key (key-)", r"(?<![A-Za-z0-9_\-])key-[0-9a-f]{32}" + TOKEN_END, "key-"),
    prefixed(
        "mailchimp-api-key",
        "Mailchimp key (32 hex + -us12)",
        NOT_AFTER_TOKEN + r"[0-9a-f]{32}-us\d{1,2}" + TOKEN_END,
        "-us",
        back=32,
        window=40,
    ),
    prefixed(
        "shopify-token", "Shopify token (shpat_, shpss_, shpca_, shppa_)", r"shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}", "shp"
    ),
    prefixed(
        "square-token",
        "Square access token or secret (sq0atp-, sq0csp-, EAAA)",
        r"(?:sq0atp-[A-Za-z0-9_\-]{22,}|sq0csp-[A-Za-z0-9_\-]{40,}|EAAA[A-Za-z0-9_\-]{60,})",
        "sq0",
        "EAAA",
    ),
    prefixed(
        "braintree-access-token",
        "PayPal Braintree access token (access_token$production$...)",
        r"access_token\$(?:production|sandbox)\$[a-z0-9]{16}\$[a-f0-9]{32}",
        "access_token$",
    ),
    prefixed("linear-api-key", "Linear key (lin_api_)", r"lin_api_[A-Za-z0-9]{40}", "lin_api_"),
    prefixed(
        "notion-token",
        "Notion integration token (secret_, ntn_)",
        NOT_AFTER_TOKEN + r"(?:secret_[A-Za-z0-9]{43}|ntn_[A-Za-z0-9]{40,})" + TOKEN_END,
        "secret_",
        "ntn_",
    ),
    prefixed("atlassian-api-token", "Atlassian API token (ATATT)", r"ATATT[A-Za-z0-9_\-=]{50,}", "ATATT"),
    prefixed(
        "grafana-token",
        "Grafana service-account token or Cloud token (glsa_, glc_, eyJrIjoi)",
        r"(?:glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,}={0,2}|eyJrIjoi[A-Za-z0-9+/]{40,}={0,2})",
        "glsa_",
        "glc_",
        "eyJrIjoi",
    ),
    prefixed("newrelic-key", "New Relic key (NRAK-, NRII-, NRJS-, NRRA-)", r"NR(?:AK|II|JS|RA)-[A-Za-z0-9]{20,}", "NR"),
    prefixed("sentry-token", "Sentry auth token (sntrys_, sntryu_)", r"sntry[su]_[A-Za-z0-9+/=_]{40,}", "sntry"),
    prefixed("postman-api-key", "Postman key (PMAK-)", r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}", "PMAK-"),
    prefixed(
        "airtable-pat", "Airtable personal access token", NOT_AFTER_TOKEN + r"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}", "pat"
    ),
    prefixed("dropbox-token", "Dropbox short-lived token (sl.)", NOT_AFTER_TOKEN + r"sl\.[A-Za-z0-9_\-]{120,}", "sl."),
    prefixed(
        "mapbox-secret-token",
        "Mapbox secret token (sk.eyJ)",
        r"sk\.eyJ[A-Za-z0-9_\-]{40,}\.[A-Za-z0-9_\-]{20,}",
        "sk.eyJ",
    ),
    prefixed(
        "twitter-bearer-token",
        "X / Twitter app bearer token (AAAA...)",
        r"A{20,}[A-Za-z0-9%]{30,}",
        "AAAAAAAAAAAAAAAAAAAA",
    ),
    prefixed(
        "age-secret-key",
        "age encryption secret key",
        r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
        "AGE-SECRET-KEY-1",
    ),
)
