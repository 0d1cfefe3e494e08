"""The deployment recipes, checked without a Docker engine: the Dockerfile's stages and
runtime user, its health check and command; compose.yaml's services and the `bocage` commands
they run; the systemd units. A command that does not exist, or a stop grace period shorter
than the shutdown timeout, fails here rather than at an operator's."""

from __future__ import annotations

import configparser
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from bocage.core.cli import main
from bocage.core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SHUTDOWN = Settings.model_fields["shutdown_timeout_seconds"].default
JOBS_SHUTDOWN = Settings.model_fields["jobs_shutdown_timeout_seconds"].default


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for key, args in self.instructions if key == keyword]


def parse_dockerfile(text: str) -> list[Stage]:
    """Instructions by stage: continuation lines joined, comments dropped."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append(pending + line)
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    stages: list[Stage] = []
    for line in lines:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = args.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], name=name))
            continue
        assert stages, f"{keyword} before any FROM"
        stages[-1].instructions.append((keyword, args.strip()))
    return stages


def bocage_command(argv: list[str]) -> click.Command:
    """The command ``bocage ARGV`` runs, its options parsed as click would (an unknown
    command or option raises)."""
    assert argv[0] == "bocage", argv
    command: click.Command = main
    args = argv[1:]
    path = ["bocage"]
    while isinstance(command, click.Group) and args and not args[0].startswith("-"):
        name = args.pop(0)
        assert name in command.commands, f"`{' '.join(path)}` has no command {name!r}"
        command = command.commands[name]
        path.append(name)
    command.make_context(" ".join(path), list(args), resilient_parsing=False)
    return command


def _seconds(value: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    return float(value[:-1]) * units[value[-1]] if value[-1] in units else float(value)


# -- Dockerfile ------------------------------------------------------------------------------

STAGES = parse_dockerfile((ROOT / "Dockerfile").read_text())
RUNTIME = STAGES[-1]


def test_the_wheel_is_built_in_one_stage_and_installed_in_another() -> None:
    assert len(STAGES) >= 2
    build = STAGES[0]
    assert all(stage.base.startswith("python:3.11-slim") for stage in STAGES)
    assert any("pip wheel" in run for run in build.all("RUN"))
    # The runtime gets the built wheels, never the source tree.
    copies = RUNTIME.all("COPY")
    assert copies and all(copy.startswith(f"--from={build.name}") for copy in copies)
    assert any("pip install" in run and "--no-index" in run for run in RUNTIME.all("RUN"))


def test_no_editable_install_nor_development_extras() -> None:
    for stage in STAGES:
        for run in stage.all("RUN"):
            words = shlex.split(run)
            assert "-e" not in words and "--editable" not in words, run
            assert "[test]" not in run and "[dev]" not in run, run


def test_the_runtime_runs_as_an_unprivileged_user() -> None:
    users = RUNTIME.all("USER")
    assert users and users[-1].split(":")[0] not in ("root", "0")
    keywords = [key for key, _ in RUNTIME.instructions]
    assert keywords.index("USER") < keywords.index("CMD")


def test_the_health_check_asks_readyz() -> None:
    (check,) = RUNTIME.all("HEALTHCHECK")
    assert "CMD" in check and "/readyz" in check


def test_the_image_serves_with_an_existing_command() -> None:
    (command,) = RUNTIME.all("CMD")
    argv = yaml.safe_load(command)  # the exec form is a JSON array
    assert bocage_command(argv).name == "serve"
    assert "0.0.0.0" in argv
    assert RUNTIME.all("STOPSIGNAL") == ["SIGTERM"]


# -- compose.yaml ----------------------------------------------------------------------------

COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]


def test_compose_has_postgresql_the_api_and_the_worker() -> None:
    assert SERVICES["db"]["image"].startswith("postgres:")
    assert bocage_command(SERVICES["api"]["command"]).name == "serve"
    assert bocage_command(SERVICES["worker"]["command"]).name == "worker"
    for name in ("api", "worker", "migrate"):
        environment = SERVICES[name]["environment"]
        assert environment["BOCAGE_ENVIRONMENT"] == "production"
        assert environment["BOCAGE_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert "${BOCAGE_DB_PASSWORD:?" in environment["BOCAGE_DATABASE_URL"]  # not committed


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_bocage_service_runs_an_existing_command(service: str) -> None:
    command = SERVICES[service].get("command")
    if SERVICES[service].get("build") is not None:
        assert command, f"{service} relies on the image's CMD"
        bocage_command(command)


def test_migrations_run_once_before_the_api_and_the_worker() -> None:
    assert SERVICES["migrate"]["command"] == ["bocage", "db", "upgrade"]
    for name in ("api", "worker"):
        assert SERVICES[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }


def test_stop_grace_periods_outlast_the_shutdown_timeouts() -> None:
    assert _seconds(SERVICES["api"]["stop_grace_period"]) > SHUTDOWN
    assert _seconds(SERVICES["worker"]["stop_grace_period"]) > JOBS_SHUTDOWN


# -- systemd ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "command", "timeout"),
    [("bocage.service", "serve", SHUTDOWN), ("bocage-worker.service", "worker", JOBS_SHUTDOWN)],
)
def test_systemd_units(unit: str, command: str, timeout: float) -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(ROOT / "deploy" / unit)
    service = parser["Service"]
    argv = shlex.split(service["ExecStart"])
    assert Path(argv[0]).name == "bocage"
    assert bocage_command(["bocage", *argv[1:]]).name == command
    assert service["User"] not in ("root", "0")
    assert service["KillSignal"] == "SIGTERM"
    assert float(service["TimeoutStopSec"]) > timeout
    assert "BOCAGE_ENVIRONMENT=production" in service["Environment"]
    assert service["EnvironmentFile"].startswith("/etc/")
