"""docker-compose.yml and the Dockerfile, checked without Docker: valid YAML of the compose shape,
the services scale-out needs, pinned images, health checks, start-up order, and environment
variables the app really reads. And the lock file `make` installs from pins every dependency."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
CLI = (ROOT / "exchange" / "cli.py").read_text()  # envvar="EXCHANGE_..." of its options


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def test_compose_has_the_scale_out_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"app", "migrate", "postgres", "meilisearch", "redis"} <= set(services)
    allowed = {
        "build",
        "image",
        "command",
        "environment",
        "ports",
        "depends_on",
        "healthcheck",
        "volumes",
        "restart",
        "stop_grace_period",
    }
    for name, service in services.items():
        assert set(service) <= allowed, (name, set(service) - allowed)
        assert "image" in service or "build" in service, name
    declared = set(compose.get("volumes") or {})
    for name, service in services.items():
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in declared, (name, source)


def test_third_party_images_are_pinned(compose: dict[str, Any]) -> None:
    for name in ("postgres", "meilisearch", "redis"):
        image = compose["services"][name]["image"]
        assert ":" in image and not image.endswith(":latest"), image
        assert re.search(r":v?\d", image), image


def test_every_long_running_service_has_a_healthcheck(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if name == "migrate":
            assert service.get("restart") == "no"
            continue
        check = service.get("healthcheck")
        assert check and check.get("test"), name
        assert isinstance(check["test"], list) and check["test"][0] in ("CMD", "CMD-SHELL")
    app_check = " ".join(compose["services"]["app"]["healthcheck"]["test"])
    assert "/readyz" in app_check  # database, search and Redis reachable


def test_start_up_order(compose: dict[str, Any]) -> None:
    services = compose["services"]
    app = services["app"]["depends_on"]
    assert app["migrate"]["condition"] == "service_completed_successfully"
    for dep in ("postgres", "meilisearch", "redis"):
        assert app[dep]["condition"] == "service_healthy"
    migrate = services["migrate"]
    assert migrate["command"] == ["exchange", "init"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name, service in services.items():
        for dep in service.get("depends_on") or {}:
            assert dep in services, (name, dep)


def test_app_environment_is_wired_to_the_other_services(compose: dict[str, Any]) -> None:
    app = _env(compose["services"]["app"])
    assert app["EXCHANGE_DATABASE_URL"].startswith("postgresql://")
    assert "@postgres:5432/" in app["EXCHANGE_DATABASE_URL"]
    assert app["EXCHANGE_REDIS_URL"].startswith("redis://redis:6379")
    assert app["EXCHANGE_MEILI_URL"] == "http://meilisearch:7700"
    assert "${EXCHANGE_SECRET_KEY:?" in app["EXCHANGE_SECRET_KEY"]  # required, never defaulted
    assert "${MEILI_MASTER_KEY" in app["EXCHANGE_MEILI_KEY"]
    workers = re.search(r"(\d+)", app["EXCHANGE_WORKERS"])
    assert workers and int(workers.group(1)) > 1  # several workers, one budget (Redis)
    # migrate and app see the same settings (one secret: IDs and pseudonyms agree)
    migrate = _env(compose["services"]["migrate"])
    for key in ("EXCHANGE_DATABASE_URL", "EXCHANGE_SECRET_KEY", "EXCHANGE_MEILI_URL"):
        assert migrate[key] == app[key]
    postgres = _env(compose["services"]["postgres"])
    assert postgres["POSTGRES_DB"] in app["EXCHANGE_DATABASE_URL"]
    meili = _env(compose["services"]["meilisearch"])
    assert meili["MEILI_ENV"] == "production"


def test_every_exchange_variable_in_compose_is_one_the_app_reads(compose: dict[str, Any]) -> None:
    from exchange.settings import Settings

    read = {"EXCHANGE_" + field.upper() for field in Settings.model_fields}
    for name, service in compose["services"].items():
        for key in _env(service):
            if key.startswith("EXCHANGE_"):
                assert key in read or f'"{key}"' in CLI, (name, key)


def test_dockerfile_runs_the_app_as_a_non_root_user() -> None:
    text = (ROOT / "Dockerfile").read_text()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    assert lines[0].startswith("FROM python:3.11")
    assert any(ln.startswith("USER ") and "root" not in ln for ln in lines)
    assert any(ln.startswith("HEALTHCHECK") for ln in lines)
    assert lines[-1] == 'CMD ["exchange", "serve"]'
    for room in ("exchange", "schema", "search", "seed"):
        assert f"COPY {room} ./{room}" in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and "var" in ignored


def test_the_lock_pins_every_dependency_pyproject_names() -> None:
    """requirements/dev.txt (pip-tools; `make lock` re-resolves it) is what make and .ci/run
    install: a dependency added to pyproject.toml, or a bound raised, without re-locking fails."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    named = [Requirement(r) for r in project["dependencies"]]
    named += [Requirement(r) for r in project["optional-dependencies"]["dev"]]
    pinned: dict[str, Version] = {}
    for line in (ROOT / "requirements" / "dev.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep and version, f"not pinned with ==: {line!r}"
            pinned[canonicalize_name(name)] = Version(version.strip())
    for requirement in named:
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement.name} is not in requirements/dev.txt: run make lock"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"requirements/dev.txt pins {requirement.name}=={pinned[name]}, outside "
            f"{requirement.specifier} in pyproject.toml: run make lock"
        )
