"""Provider rules of cloud and infrastructure services (AWS, GCP, Azure, Cloudflare, Datadog, Okta, Vault...).

Part of `PROVIDER_RULES` (``_secret_rules_providers``), in the same order there. Shapes and prefixes as the
providers document them and as the public rule sets of gitleaks, trufflehog, detect-secrets and GitHub secret
scanning describe them; written for this project.
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

CLOUD_RULES: tuple[SecretRule, ...] = (
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
)
