"""Provider rules: secrets with a documented literal prefix (or a provider keyword next to them).

Shapes and prefixes as the providers document them and as the public rule sets of gitleaks, trufflehog,
detect-secrets and GitHub secret scanning describe them; written for this project.
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
    # --- cloud and infrastructure --------------------------------------------------------------------------
    prefixed(
        "aws-access-key-id",
        "AWS access key id (AKIA, ASIA, AGPA, AIDA, AROA...)",
        NOT_AFTER_TOKEN
        + r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}"
        + TOKEN_END,
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
    keyworded(
        "aws-secret-access-key",
        "AWS secret access key (40 characters next to an aws/secret keyword)",
        r"(?:aws|secret[_-]?access[_-]?key)" + NEAR + r"(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])",
        "aws",
        "secretaccesskey",
        "secret_access_key",
        "secret-access-key",
    ),
    prefixed("gcp-api-key", "Google API key (AIza)", r"AIza[0-9A-Za-z_\-]{35}", "AIza"),
    prefixed(
        "gcp-oauth-client-secret", "Google OAuth client secret (GOCSPX-)", r"GOCSPX-[A-Za-z0-9_\-]{20,}", "GOCSPX-"
    ),
    prefixed(
        "gcp-oauth-access-token",
        "Google OAuth access token (ya29.)",
        NOT_AFTER_TOKEN + r"ya29\.[A-Za-z0-9_\-]{20,}",
        "ya29.",
    ),
    prefixed(
        "gcp-refresh-token", "Google OAuth refresh token (1//)", NOT_AFTER_TOKEN + r"1//0[A-Za-z0-9_\-]{30,}", "1//0"
    ),
    keyworded(
        "gcp-service-account-key-id",
        "private_key_id of a service-account JSON",
        r"private_key_id\\?[\"']?\s*:\s*\\?[\"'](?P<secret>[a-f0-9]{40})",
        "private_key_id",
    ),
    prefixed(
        "azure-storage-account-key",
        "Azure connection string AccountKey=",
        r"AccountKey=(?P<secret>[A-Za-z0-9+/=]{20,})",
        "AccountKey=",
    ),
    prefixed(
        "azure-shared-access-key",
        "Azure Service Bus / Event Hubs SharedAccessKey=",
        r"SharedAccessKey=(?P<secret>[A-Za-z0-9+/=]{20,})",
        "SharedAccessKey=",
    ),
    prefixed(
        "azure-sas-signature",
        "Azure SAS token signature (sig=)",
        NOT_AFTER_TOKEN + r"sig=(?P<secret>[A-Za-z0-9%+/=]{20,})",
        "sig=",
    ),
    prefixed(
        "azure-ad-client-secret",
        "Microsoft Entra client secret (xxx8Q~...)",
        r"[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.\-]{31,34}",
        "Q~",
        back=4,
        window=44,
    ),
    prefixed(
        "digitalocean-token",
        "DigitalOcean token (dop_v1_, doo_v1_, dor_v1_)",
        r"do[opr]_v1_[a-f0-9]{64}",
        "dop_v1_",
        "doo_v1_",
        "dor_v1_",
    ),
    prefixed(
        "databricks-token", "Databricks token (dapi)", NOT_AFTER_TOKEN + r"dapi[a-f0-9]{32}(?:-\d)?" + TOKEN_END, "dapi"
    ),
    prefixed("heroku-api-key-v2", "Heroku API key (HRKU-)", r"HRKU-[A-Za-z0-9_\-]{40,}", "HRKU-"),
    keyworded(
        "heroku-api-key",
        "Heroku API key (a UUID next to a heroku keyword)",
        r"heroku" + NEAR + r"(?P<secret>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})",
        "heroku",
    ),
    keyworded(
        "cloudflare-api-token",
        "Cloudflare API token or global key next to a cloudflare keyword",
        r"cloudflare" + NEAR + r"(?P<secret>[A-Za-z0-9_\-]{40}|[a-f0-9]{37})" + TOKEN_END,
        "cloudflare",
    ),
    prefixed(
        "cloudflare-origin-ca-key", "Cloudflare Origin CA key (v1.0-)", r"v1\.0-[a-f0-9]{24}-[a-f0-9]{140,}", "v1.0-"
    ),
    keyworded(
        "datadog-api-key",
        "Datadog API or application key next to a datadog keyword",
        r"(?:datadog|dd[_-]api[_-]key|dd[_-]app(?:lication)?[_-]key)"
        + NEAR
        + r"(?P<secret>[a-f0-9]{32}|[a-f0-9]{40})"
        + TOKEN_END,
        "datadog",
        "dd_api_key",
        "dd-api-key",
        "dd_app",
        "dd-app",
    ),
    keyworded(
        "okta-api-token",
        "Okta API token (SSWS scheme or next to an okta keyword)",
        r"(?:okta" + NEAR + r"|ssws\s+)(?P<secret>00[A-Za-z0-9_\-]{40})",
        "okta",
        "ssws",
    ),
    prefixed(
        "supabase-token",
        "Supabase access token or secret key (sbp_, sb_secret_)",
        NOT_AFTER_TOKEN + r"(?:sbp_[a-f0-9]{40}|sb_secret_[A-Za-z0-9_\-]{20,})",
        "sbp_",
        "sb_secret_",
    ),
    keyworded(
        "vercel-token",
        "Vercel token next to a vercel keyword",
        r"vercel" + NEAR + r"(?P<secret>[A-Za-z0-9]{24})" + TOKEN_END,
        "vercel",
    ),
    prefixed(
        "flyio-token",
        "Fly.io token (FlyV1 fm1_/fm2_, fo1_)",
        r"(?:FlyV1 fm\d_|fo1_)[A-Za-z0-9+/=,_\-]{40,}",
        "FlyV1 ",
        "fo1_",
    ),
    prefixed(
        "terraform-cloud-token",
        "Terraform Cloud / Enterprise token (.atlasv1.)",
        r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=\-]{60,}",
        ".atlasv1.",
        back=14,
        window=300,
    ),
    prefixed(
        "vault-token",
        "HashiCorp Vault token (hvs., hvb., hvr.)",
        NOT_AFTER_TOKEN + r"hv[sbr]\.[A-Za-z0-9_\-]{24,}",
        "hvs.",
        "hvb.",
        "hvr.",
    ),
    prefixed("pulumi-token", "Pulumi access token (pul-)", NOT_AFTER_TOKEN + r"pul-[a-f0-9]{40}" + TOKEN_END, "pul-"),
    prefixed(
        "doppler-token",
        "Doppler token (dp.pt., dp.st., ...)",
        r"dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}",
        "dp.",
    ),
    prefixed(
        "alibaba-access-key-id",
        "Alibaba Cloud AccessKey id (LTAI)",
        NOT_AFTER_TOKEN + r"LTAI[A-Za-z0-9]{20}" + TOKEN_END,
        "LTAI",
    ),
    prefixed(
        "planetscale-token",
        "PlanetScale password or token (pscale_)",
        r"pscale_(?:pw|tkn|oauth)_[\w.\-]{32,}",
        "pscale_",
    ),
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
