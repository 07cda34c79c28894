"""docker-compose.yml cannot run here (no container engine): read it and check what it promises."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("server", "worker", "follower")
# Every variable Settings.from_env reads for a server or worker (API.md, "Running it").
SETTINGS_VARIABLES = {
    "DATABASE_URL",
    "REDIS_URL",
    "PUBLIC_BASE_URL",
    "GEOHUNT_SECRET",
    "CHAIN_RPC_URL",
    "MINTER_PRIVATE_KEY",
    "MINTER_PRIVATE_KEYS",
    "CONTRACT_ADDRESS",
}
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PRIVATE_KEY|TOKEN")
# `${NAME}` or `${NAME:?message}`: taken from the host, no default written here.
FROM_HOST = re.compile(r"^\$\{(?P<name>[A-Z0-9_]+)(:\?[^}]*)?\}$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    services: dict[str, Any] = compose["services"]
    return services


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):  # the `- NAME=value` form
        env = dict(item.split("=", 1) for item in env)
    return {name: str(value) for name, value in env.items()}


def interpolate(value: str, **host_env: str) -> str:
    """Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?error}` with the given host env."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2) or "", match.group(3) or ""
        if name in host_env:
            return host_env[name]
        if op == ":-":
            return arg
        raise AssertionError(f"{name} must be set on the host")

    return re.sub(r"\$\{([A-Z0-9_]+)(:[-?])?([^}]*)\}", one, value)


def published_container_ports(service: dict[str, Any]) -> set[int]:
    ports = {int(str(p).split(":")[-1]) for p in service.get("ports", [])}
    return ports | {int(p) for p in service.get("expose", [])}


def test_the_five_services_exist(services: dict[str, Any]) -> None:
    assert {"postgres", "redis", "anvil", "server", "worker"} <= services.keys()
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    assert services["anvil"]["image"].startswith("ghcr.io/foundry-rs/foundry")


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_get_every_setting(services: dict[str, Any], name: str) -> None:
    assert SETTINGS_VARIABLES <= environment(services[name]).keys()


def test_no_literal_secret_anywhere(services: dict[str, Any]) -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    assert not re.search(r"0x[0-9a-fA-F]{64}", text)  # e.g. anvil's well-known dev key
    for name, service in services.items():
        for variable, value in environment(service).items():
            if SECRET_NAME.search(variable):
                assert FROM_HOST.match(value) or value == f"${{{variable}:-}}", (name, variable)
    server_env = environment(services["server"])
    assert server_env["GEOHUNT_SECRET"] == "${GEOHUNT_SECRET:?set GEOHUNT_SECRET}"
    # A password inside a URL is interpolated from the host too.
    assert urlsplit(interpolate(server_env["DATABASE_URL"], POSTGRES_PASSWORD="p")).password == "p"


def test_urls_name_the_service_hosts_and_ports(services: dict[str, Any]) -> None:
    for name in APP_SERVICES:
        env = environment(services[name])
        host_env = {"POSTGRES_PASSWORD": "p"}
        database = urlsplit(interpolate(env["DATABASE_URL"], **host_env))
        assert (database.scheme, database.hostname, database.port) == (
            "postgresql",
            "postgres",
            5432,
        )
        assert database.path == "/" + services["postgres"]["environment"]["POSTGRES_DB"]
        assert database.username == services["postgres"]["environment"]["POSTGRES_USER"]
        cache = urlsplit(interpolate(env["REDIS_URL"]))
        assert (cache.scheme, cache.hostname, cache.port) == ("redis", "redis", 6379)
        chain = urlsplit(interpolate(env["CHAIN_RPC_URL"]))
        assert (chain.hostname, chain.port) == ("anvil", 8545)
        assert urlsplit(interpolate(env["PUBLIC_BASE_URL"])).port == 8080


def test_ports_line_up(services: dict[str, Any]) -> None:
    assert 5432 in published_container_ports(services["postgres"])
    assert 6379 in published_container_ports(services["redis"])
    assert 8545 in published_container_ports(services["anvil"])
    assert 8080 in published_container_ports(services["server"])
    assert "--port 8080" in " ".join(services["server"]["command"])
    assert services["anvil"]["entrypoint"] == ["anvil"]
    assert services["anvil"]["command"] == ["--host", "0.0.0.0", "--port", "8545"]  # noqa: S104


def test_server_migrates_then_serves_and_worker_works(services: dict[str, Any]) -> None:
    server = " ".join(services["server"]["command"])
    assert server.index("geohunt migrate") < server.index("geohunt serve --host 0.0.0.0")
    assert "&&" in server  # no serving on a failed migration
    assert services["worker"]["command"] == ["geohunt", "worker"]
    assert services["follower"]["command"] == ["geohunt", "follow"]
    for name in APP_SERVICES:
        assert services[name]["build"] == "."
    assert services["server"]["image"] == services["worker"]["image"]


def test_every_dependency_waits_for_health(services: dict[str, Any]) -> None:
    for name in ("postgres", "redis", "anvil", "server"):
        assert services[name]["healthcheck"]["test"], name
    assert "/healthz" in " ".join(services["server"]["healthcheck"]["test"])
    for name in APP_SERVICES:
        depends = services[name]["depends_on"]
        assert {"postgres", "redis", "anvil"} <= depends.keys()
        for dependency, condition in depends.items():
            assert condition == {"condition": "service_healthy"}, (name, dependency)
    assert "server" in services["worker"]["depends_on"]  # the schema is migrated first


def test_dockerfile_builds_the_console_command() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in dockerfile
    assert re.search(r"pip install .*\.", dockerfile)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".git", ".env"} <= set(ignored)
