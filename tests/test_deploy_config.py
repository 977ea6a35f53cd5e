"""Static checks of docker-compose.yml, collector-config.yaml and deploy/ (no Docker engine needed)."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

yaml = pytest.importorskip("yaml", reason="PyYAML is needed to parse the deploy configs (dev extra)")

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
COLLECTOR_CONFIG = ROOT / "collector-config.yaml"
COLLECTOR_SERVICE = "otel-collector"
COMPONENT_KINDS = ("receivers", "processors", "exporters", "connectors", "extensions")
SIGNALS = ("traces", "metrics", "logs", "profiles")
COMPONENT_ID = re.compile(r"^[a-z][a-z0-9_]*(/[^/\s]+)?$")  # type[/name]


def _load(path: Path) -> Any:
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return _load(COMPOSE_FILE)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def collector() -> dict[str, Any]:
    return _load(COLLECTOR_CONFIG)  # type: ignore[no-any-return]


def _bind_mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(host source, container target) for short-syntax bind mounts (`./x:/y[:ro]`) of a compose service."""
    mounts = []
    for volume in service.get("volumes", []):
        source, target, *_ = str(volume).split(":")
        if source.startswith((".", "/")):
            mounts.append((source, target))
    return mounts


def _published_ports(service: dict[str, Any]) -> set[int]:
    return {int(str(port).split(":")[-2]) for port in service.get("ports", []) if ":" in str(port)}


def _collector_config_path_in_container(service: dict[str, Any]) -> str:
    command = service.get("command", [])
    args = command.split() if isinstance(command, str) else list(command)
    configs = [arg.split("=", 1)[1] for arg in args if arg.startswith("--config=")]
    return configs[0] if configs else "/etc/otelcol-contrib/config.yaml"  # the contrib image's default


def _pipeline_components(collector: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(pipeline id, component kind, component id) for every reference in service.pipelines."""
    refs: list[tuple[str, str, str]] = []
    for pipeline_id, pipeline in collector["service"]["pipelines"].items():
        for kind in ("receivers", "processors", "exporters"):
            refs.extend((pipeline_id, kind, component) for component in pipeline.get(kind) or [])
    return refs


@pytest.mark.parametrize(
    "path",
    sorted([COMPOSE_FILE, COLLECTOR_CONFIG, *ROOT.glob("deploy/**/*.yaml"), *ROOT.glob("deploy/**/*.yml")]),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_yaml_parses_to_a_mapping(path: Path) -> None:
    assert isinstance(_load(path), dict)


def test_pipelines_reference_only_defined_components(collector: dict[str, Any]) -> None:
    for kind in COMPONENT_KINDS:
        for component_id in collector.get(kind) or {}:
            assert COMPONENT_ID.match(component_id), f"bad {kind} id {component_id!r}"
    undefined = [ref for ref in _pipeline_components(collector) if ref[2] not in (collector.get(ref[1]) or {})]
    assert not undefined, f"pipelines reference undefined components: {undefined}"
    for extension in collector["service"].get("extensions", []):
        assert extension in (collector.get("extensions") or {}), f"service.extensions: {extension!r} undefined"


def test_every_defined_component_is_used(collector: dict[str, Any]) -> None:
    used = {(kind, component) for _, kind, component in _pipeline_components(collector)}
    used |= {("extensions", ext) for ext in collector["service"].get("extensions", [])}
    unused = [
        (kind, component)
        for kind in ("receivers", "processors", "exporters", "extensions")
        for component in collector.get(kind) or {}
        if (kind, component) not in used
    ]
    assert not unused, f"defined but never used: {unused}"


def test_traces_pipeline_is_sane(collector: dict[str, Any]) -> None:
    pipelines = collector["service"]["pipelines"]
    for pipeline_id, pipeline in pipelines.items():
        assert pipeline_id.split("/", 1)[0] in SIGNALS, pipeline_id
        assert pipeline.get("receivers"), f"{pipeline_id} has no receivers"
        assert pipeline.get("exporters"), f"{pipeline_id} has no exporters"
        processors = pipeline.get("processors") or []
        assert len(processors) == len(set(processors)), f"{pipeline_id} repeats a processor"
        if "memory_limiter" in processors:
            assert processors[0] == "memory_limiter", "memory_limiter must run first"
        if "batch" in processors:
            assert processors[-1] == "batch", "batch must run last, right before the exporters"

    traces = pipelines["traces"]
    assert traces["receivers"] == ["otlp"]
    assert traces["processors"] == ["memory_limiter", "batch"]
    exporter_types = {exporter.split("/", 1)[0] for exporter in traces["exporters"]}
    assert {"otlp_grpc", "file"} <= exporter_types

    protocols = collector["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"] == "0.0.0.0:4317"  # localhost would be unreachable from other containers
    assert protocols["http"]["endpoint"] == "0.0.0.0:4318"
    limiter = collector["processors"]["memory_limiter"]
    assert limiter["check_interval"]
    assert limiter.get("limit_mib") or limiter.get("limit_percentage")


def test_exporters_target_compose_services(collector: dict[str, Any], compose: dict[str, Any]) -> None:
    services = compose["services"]
    targets = {}
    for exporter_id, config in collector["exporters"].items():
        if exporter_id.split("/", 1)[0] in ("otlp", "otlp_grpc"):
            host, port = config["endpoint"].rsplit(":", 1)
            assert host in services, f"{exporter_id} points at unknown service {host!r}"
            assert port == "4317"
            assert config["tls"]["insecure"] is True  # plaintext inside the compose network
            targets[host] = exporter_id
    assert set(targets) == {"jaeger", "tempo"}
    assert COLLECTOR_SERVICE in services
    assert set(services[COLLECTOR_SERVICE].get("depends_on", [])) >= set(targets)


def test_file_exporter_writes_into_a_mounted_dir(collector: dict[str, Any], compose: dict[str, Any]) -> None:
    path = PurePosixPath(collector["exporters"]["file"]["path"])
    mounts = {target: source for source, target in _bind_mounts(compose["services"][COLLECTOR_SERVICE])}
    assert str(path.parent) in mounts, f"{path.parent} is not a bind mount of {COLLECTOR_SERVICE}: {mounts}"
    assert mounts[str(path.parent)] == "./collector-data"
    assert (ROOT / "collector-data").is_dir()


def test_compose_services_use_existing_files(compose: dict[str, Any]) -> None:
    collector_service = compose["services"][COLLECTOR_SERVICE]
    config_in_container = _collector_config_path_in_container(collector_service)
    mounts = {target: source for source, target in _bind_mounts(collector_service)}
    assert mounts.get(config_in_container) == "./collector-config.yaml", (config_in_container, mounts)

    for name, service in compose["services"].items():
        for source, _ in _bind_mounts(service):
            assert (ROOT / source).resolve().exists(), f"service {name!r} mounts missing {source}"
        image = service["image"]
        assert not image.endswith(":latest"), f"{name}: pin the image version ({image})"
        assert ":" in image.rsplit("/", 1)[-1], f"{name}: pin the image version ({image})"
        depends_on = service.get("depends_on", [])
        for dependency in depends_on if isinstance(depends_on, list) else list(depends_on):
            assert dependency in compose["services"], f"{name} depends on unknown service {dependency!r}"
    for volume in (v for s in compose["services"].values() for v in s.get("volumes", [])):
        source = str(volume).split(":", 1)[0]
        if not source.startswith((".", "/")):
            assert source in (compose.get("volumes") or {}), f"named volume {source!r} is not declared"


def test_compose_publishes_the_documented_ports(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert _published_ports(services[COLLECTOR_SERVICE]) >= {4317, 4318}
    assert 16686 in _published_ports(services["jaeger"])
    assert 3000 in _published_ports(services["grafana"])
    published = [port for service in services.values() for port in _published_ports(service)]
    assert len(published) == len(set(published)), f"a host port is published twice: {sorted(published)}"


def test_grafana_provisions_tempo(compose: dict[str, Any]) -> None:
    grafana = compose["services"]["grafana"]
    mounts = {target: source for source, target in _bind_mounts(grafana)}
    provisioning = ROOT / mounts["/etc/grafana/provisioning"]
    datasources = [
        ds for f in sorted(provisioning.glob("datasources/*.y*ml")) for ds in _load(f).get("datasources", [])
    ]
    tempo = next(ds for ds in datasources if ds["type"] == "tempo")

    tempo_service = compose["services"]["tempo"]
    tempo_mounts = {target: source for source, target in _bind_mounts(tempo_service)}
    config_flag = next(arg for arg in tempo_service["command"] if arg.startswith("-config.file="))
    tempo_config = _load(ROOT / tempo_mounts[config_flag.split("=", 1)[1]])
    assert tempo["url"] == f"http://tempo:{tempo_config['server']['http_listen_port']}"
    otlp = tempo_config["distributor"]["receivers"]["otlp"]["protocols"]
    assert otlp["grpc"]["endpoint"] == "0.0.0.0:4317"  # what the collector's otlp_grpc/tempo exporter targets


# --- Pinned versions and the keys they accept -------------------------------------------------------------------
# The image pins and where each version was established (the releases current when this was written, 2026-12).
PINNED_IMAGES = {
    # the contrib modules' newest minor release on the Go module proxy is v0.165 (healthcheckextension v0.165.0/.1;
    # core batchprocessor v0.165.0, so the batch processor is still shipped)
    "otel-collector": "otel/opentelemetry-collector-contrib:0.165.0",
    # jaegertracing/jaeger release v2.21.0 (issue #9554: images on Docker Hub and Quay, 2026-09-15)
    "jaeger": "jaegertracing/jaeger:2.21.0",
    # grafana/tempo 3.0.3 (the 3.x line: Tempo 3.0 release notes and upgrade guide)
    "tempo": "grafana/tempo:3.0.3",
    "tempo-init": "grafana/tempo:3.0.3",
    # grafana/grafana v13.2.0 (CHANGELOG 13.2.0, 2026-08-18)
    "grafana": "grafana/grafana:13.2.0",
}

# Tempo 3.0 keys, from its configuration reference (docs/sources/tempo/configuration/_index.md of the 3.x docs: the
# root options and the blocks server, memory, distributor, ingest, block_builder, live_store, metrics_generator,
# query_frontend, querier, backend_scheduler, backend_worker, storage, memberlist, overrides, usage_report, cache; the
# clients live_store_client and backend_scheduler_client). `None` accepts any value below that key; a set lists the
# keys accepted there. Only the branches our config uses are spelled out to the leaves.
_ANY = None
TEMPO_3_KEYS: dict[str, Any] = {
    **dict.fromkeys(
        (
            "target",
            "multitenancy_enabled",
            "auth_enabled",
            "shutdown_delay",
            "http_api_prefix",
            "enable_go_runtime_metrics",
            "span_profiling",
            "memory",
            "ingest",
            "block_builder",
            "live_store",
            "live_store_client",
            "metrics_generator",
            "query_frontend",
            "querier",
            "backend_scheduler",
            "backend_scheduler_client",
            "backend_worker",
            "memberlist",
            "cache",
        ),
        _ANY,
    ),
    "stream_over_http_enabled": _ANY,
    "server": {
        "http_listen_address": _ANY,
        "http_listen_port": _ANY,
        "grpc_listen_address": _ANY,
        "grpc_listen_port": _ANY,
        "log_level": _ANY,  # dskit server option (the reference links dskit's server config for the full list)
        "log_format": _ANY,
        "register_instrumentation": _ANY,
        "graceful_shutdown_timeout": _ANY,
        "http_server_read_timeout": _ANY,
        "http_server_write_timeout": _ANY,
        "http_server_idle_timeout": _ANY,
        "grpc_server_max_recv_msg_size": _ANY,
        "grpc_server_max_send_msg_size": _ANY,
    },
    "distributor": {
        "ring": _ANY,
        "receivers": {
            "otlp": {"protocols": {"grpc": {"endpoint": _ANY}, "http": {"endpoint": _ANY}}},
            "jaeger": _ANY,
            "zipkin": _ANY,
            "kafka": _ANY,
        },
        "forwarders": _ANY,
        "log_received_spans": _ANY,
        "log_discarded_spans": _ANY,
    },
    "storage": {
        "trace": {
            "backend": _ANY,
            "local": {"path": _ANY},
            "wal": {"path": _ANY, "ingestion_time_range_slack": _ANY},
            "block": _ANY,
            "search": _ANY,
            "blocklist_poll": _ANY,
            "pool": _ANY,
            "gcs": _ANY,
            "s3": _ANY,
            "azure": _ANY,
        }
    },
    "overrides": {
        "defaults": {
            "ingestion": _ANY,
            "read": _ANY,
            "compaction": {"block_retention": _ANY, "compaction_window": _ANY, "compaction_disabled": _ANY},
            "metrics_generator": _ANY,
            "forwarders": _ANY,
            "global": _ANY,
            "storage": _ANY,
            "cost_attribution": _ANY,
        },
        "per_tenant_override_config": _ANY,
        "user_configurable_overrides": _ANY,
    },
    "usage_report": {"reporting_enabled": _ANY},
}
TEMPO_3_REMOVED = frozenset({"ingester", "ingester_client", "compactor", "metrics_generator_client"})
"""Blocks Tempo 3.0 no longer has (its upgrade guide: 'remove ingester, ingester_client, compactor, and
metrics_generator_client blocks'); Tempo 3 refuses a config that still holds them."""


def _unknown_keys(config: Any, schema: Any, where: str = "") -> list[str]:
    if schema is None or not isinstance(config, dict):
        return []
    unknown = []
    for key, value in config.items():
        path = f"{where}.{key}" if where else str(key)
        if key not in schema:
            unknown.append(path)
        else:
            unknown.extend(_unknown_keys(value, schema[key], path))
    return unknown


@pytest.fixture(scope="module")
def tempo_config(compose: dict[str, Any]) -> dict[str, Any]:
    service = compose["services"]["tempo"]
    mounts = {target: source for source, target in _bind_mounts(service)}
    config_flag = next(arg for arg in service["command"] if arg.startswith("-config.file="))
    return _load(ROOT / mounts[config_flag.split("=", 1)[1]])  # type: ignore[no-any-return]


def test_images_are_pinned_to_the_recorded_releases(compose: dict[str, Any]) -> None:
    images = {name: service["image"] for name, service in compose["services"].items()}
    assert images == PINNED_IMAGES


def test_tempo_config_uses_only_keys_tempo_3_accepts(compose: dict[str, Any], tempo_config: dict[str, Any]) -> None:
    assert compose["services"]["tempo"]["image"].split(":")[-1].split(".")[0] == "3"  # the config is for Tempo 3.x
    assert not TEMPO_3_REMOVED & set(tempo_config), "Tempo 3 has no ingester/compactor blocks"
    assert _unknown_keys(tempo_config, TEMPO_3_KEYS) == []
    assert tempo_config.get("target", "all") == "all"  # monolithic: the local backend needs one process, no Kafka
    assert tempo_config["storage"]["trace"]["backend"] == "local"
    volume_targets = {str(v).split(":")[1] for v in compose["services"]["tempo"]["volumes"]}
    for path in (tempo_config["storage"]["trace"]["wal"]["path"], tempo_config["storage"]["trace"]["local"]["path"]):
        assert any(path.startswith(t + "/") for t in volume_targets), f"{path} is not on a mounted volume"


def test_the_key_check_catches_a_tempo_2_config() -> None:
    tempo_2 = {
        "server": {"http_listen_port": 3200},
        "ingester": {"max_block_duration": "5m"},
        "compactor": {"compaction": {"block_retention": "48h"}},
        "storage": {"trace": {"backend": "local", "wall": {"path": "/x"}}},
    }
    assert TEMPO_3_REMOVED & set(tempo_2) == {"ingester", "compactor"}
    assert _unknown_keys(tempo_2, TEMPO_3_KEYS) == ["ingester", "compactor", "storage.trace.wall"]


# Grafana's data source provisioning file (apiVersion 1), keys from Grafana's "Provision Grafana" documentation.
GRAFANA_DATASOURCE_KEYS = frozenset(
    {
        "name",
        "type",
        "uid",
        "access",
        "orgId",
        "url",
        "user",
        "database",
        "basicAuth",
        "basicAuthUser",
        "withCredentials",
        "isDefault",
        "jsonData",
        "secureJsonData",
        "version",
        "editable",
    }
)


def test_grafana_provisioning_uses_known_keys() -> None:
    for path in sorted(ROOT.glob("deploy/grafana/provisioning/datasources/*.y*ml")):
        document = _load(path)
        assert document["apiVersion"] == 1
        assert set(document) <= {"apiVersion", "datasources", "deleteDatasources", "prune"}
        for datasource in document["datasources"]:
            assert set(datasource) <= GRAFANA_DATASOURCE_KEYS, (path.name, set(datasource) - GRAFANA_DATASOURCE_KEYS)


# Component types collector-config.yaml may use, with the module that ships each in collector-contrib 0.165
# (each at v0.165.x in the Go module index, except the two core exporters, whose modules the index does not list;
# `otlp_grpc` is the otlpexporter's type name since collector 0.144, `otlp` its deprecated alias).
_CONTRIB = "github.com/open-telemetry/opentelemetry-collector-contrib"
COLLECTOR_0_165_COMPONENTS = {
    ("receivers", "otlp"): "go.opentelemetry.io/collector/receiver/otlpreceiver",
    ("processors", "memory_limiter"): "go.opentelemetry.io/collector/processor/memorylimiterprocessor",
    ("processors", "batch"): "go.opentelemetry.io/collector/processor/batchprocessor",
    ("exporters", "otlp_grpc"): "go.opentelemetry.io/collector/exporter/otlpexporter",
    ("exporters", "debug"): "go.opentelemetry.io/collector/exporter/debugexporter",
    ("exporters", "file"): f"{_CONTRIB}/exporter/fileexporter",
    (
        "extensions",
        "health_check",
    ): f"{_CONTRIB}/extension/healthcheckextension",
}


def test_collector_uses_only_components_the_pinned_release_ships(collector: dict[str, Any]) -> None:
    used = {(kind, cid.split("/", 1)[0]) for kind in COMPONENT_KINDS for cid in collector.get(kind) or {}}
    assert used <= set(COLLECTOR_0_165_COMPONENTS), used - set(COLLECTOR_0_165_COMPONENTS)
