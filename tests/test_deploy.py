"""The deployment files in deploy/ parse, point at files that exist and run commands that exist.

Why: nothing else runs these files before an operator does. A renamed subcommand or option, a
moved file, a typo in a systemd key or a real secret in an example would otherwise surface on
a server, months later. Docker itself is not needed: compose files are read with PyYAML,
commands are parsed by the real `colorbot` click tree (without running them), and units are
checked by `systemd-analyze verify` where it exists.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import SECRET_NAME, load_settings
from tests.deploy_files import (
    COMPOSE_FILES, DEPLOY, DOCKERFILES, EXAMPLE_ENV, EXAMPLE_TOML, HARDENING, OPERATOR_FILES, PLACEHOLDER, README_SECTIONS,
    ROOT, UNITS, all_colorbot_command_lines, build_context, check_colorbot_args, compose_variables, dockerfile_instructions,
    dockerignored, effective_service, env_lines, load_compose, read_unit, resolve, systemd_verify,
)


# -- commands ------------------------------------------------------------------------------------


def test_every_colorbot_command_in_the_deployment_files_exists_with_its_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLORBOT_CONFIG", raising=False)
    lines = list(all_colorbot_command_lines())
    for where, args in lines:
        check_colorbot_args(args, where)
    sources = {where.split(" ")[0] for where, _ in lines}
    assert {"Dockerfile", "Dockerfile.cpu", "compose.yaml", "compose.postgres.yaml", "colorbot.service",
            "colorbot-run-once.service", "README.md:"} <= sources


def test_the_command_check_rejects_a_renamed_subcommand_or_option() -> None:
    for args in (["runn"], ["run", "--no-such-option"], ["run-once", "--post"]):
        with pytest.raises(pytest.fail.Exception):
            check_colorbot_args(args, "test")
    check_colorbot_args(["run-once", "--dry-run"], "test")


# -- images --------------------------------------------------------------------------------------


def test_dockerignore_keeps_the_project_and_drops_venvs_data_and_secrets() -> None:
    for kept in ("pyproject.toml", "README.md", "bot/cli.py", "db/migrations/env.py", "colorizer/weights/default.pt"):
        assert not dockerignored(kept), kept
    for dropped in (".venv/bin/python", "data/photos/a.jpg", "runs/demo/final.pt", "demo-out/a.jpg", ".git/HEAD",
                    "deploy/.env", "deploy/colorbot.toml", "colorbot.db", "bot/__pycache__/cli.cpython-311.pyc"):
        assert dockerignored(dropped), dropped


def test_the_build_context_installs_with_the_model_the_migrations_and_the_colorbot_script(tmp_path: Path) -> None:
    """What `pip install /src` does in the images, on the files the build context really holds."""
    context = tmp_path / "src"
    build_context(context)
    assert not list(context.glob(".venv")) and not (context / "deploy").exists()
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                             "--wheel-dir", str(tmp_path / "dist"), str(context)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("colorbot-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(archive.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "colorizer/weights/default.pt" in names, "the shipped model"
    assert any(re.fullmatch(r"colorizer/weights/default\.[0-9a-f]{16}\.onnx", n) for n in names), "the shipped model's ONNX graph"
    assert "db/migrations/script.py.mako" in names and any(n.startswith("db/migrations/versions/") for n in names)
    assert {"bot/cli.py", "bot/sandbox/__init__.py", "training/__init__.py"} <= names
    assert re.search(r"^colorbot = bot\.cli:main$", entry_points, re.MULTILINE), "the ENTRYPOINT the images use"


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_copies_what_exists_and_runs_as_a_non_root_user_with_a_healthcheck(path: Path) -> None:
    instructions = list(dockerfile_instructions(path))
    copies = [a.split()[:-1] for i, a in instructions if i == "COPY"]
    assert copies
    for sources in copies:
        for source in sources:
            assert (ROOT / source).exists(), f"{path.name}: COPY {source}: not in the repository"
            assert not dockerignored(source), f"{path.name}: COPY {source}: dropped by .dockerignore"
    package_dirs = {p.parent.name for p in ROOT.glob("*/__init__.py") if p.parent.name in {"bot", "colorizer", "db", "training"}}
    assert package_dirs <= {s for sources in copies for s in sources}, "every installable package is copied"
    users = [a for i, a in instructions if i == "USER"]
    assert users and users[-1] not in ("root", "0"), f"{path.name}: runs as root"
    healthcheck = [a for i, a in instructions if i == "HEALTHCHECK"]
    assert healthcheck and "/healthz" in healthcheck[-1]
    assert any(i == "FROM" for i, _ in instructions)
    text = path.read_text()
    assert "python3.11" in text or "python:3.11" in text, "the Python the project is tested on"
    assert "sqlite:////data/" in text and 'VOLUME ["/data"]' in text, "the database lives on the volume"


def test_the_gpu_image_starts_from_a_cuda_runtime_and_the_cpu_image_from_python_slim() -> None:
    gpu = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^ARG CUDA_IMAGE=nvidia/cuda:[\w.]+-runtime-ubuntu[\d.]+$", gpu, re.MULTILINE)
    assert re.search(r"^FROM \$\{CUDA_IMAGE\}$", gpu, re.MULTILINE)
    assert dict(dockerfile_instructions(DEPLOY / "Dockerfile.cpu"))["FROM"].startswith("python:3.11-slim")


# -- compose -------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_compose_file_parses_and_refers_to_files_that_exist(path: Path) -> None:
    data = load_compose(path)
    declared_volumes = set(data.get("volumes") or {})
    for name in data["services"]:
        service = effective_service(path, name)
        assert service.get("image") or service.get("build"), f"{name}: no image"
        assert service.get("restart") in ("unless-stopped", "always"), f"{name}: not restarted after a crash or reboot"
        build = service.get("build")
        if build:
            context = (path.parent / build["context"]).resolve()
            assert (context / resolve(build["dockerfile"])).is_file(), f"{name}: {build['dockerfile']}"
            assert context == ROOT
        for env_file in [service["env_file"]] if isinstance(service.get("env_file"), str) else service.get("env_file", []):
            assert env_file in OPERATOR_FILES, f"{name}: env_file {env_file} has no example"
        for volume in service.get("volumes", []):
            if isinstance(volume, str):
                assert volume.split(":")[0] in declared_volumes, f"{name}: volume {volume} is not declared"
            elif volume["type"] == "bind":
                assert volume["source"].removeprefix("./") in OPERATOR_FILES, f"{name}: bind {volume['source']} has no example"
                assert volume.get("read_only") and volume["bind"]["create_host_path"] is False
            else:
                assert volume["source"] in declared_volumes
        for dependency in service.get("depends_on", {}):
            assert dependency in data["services"]


def test_compose_postgres_runs_one_poller_and_scalable_workers_on_the_postgres_service() -> None:
    path = DEPLOY / "compose.postgres.yaml"
    poller, worker = effective_service(path, "poller"), effective_service(path, "worker")
    assert poller["command"][:3] == ["run", "--role", "poller"] and worker["command"][:3] == ["run", "--role", "worker"]
    assert "replicas" in worker["deploy"] and "replicas" not in poller.get("deploy", {})
    for service in (poller, worker, effective_service(path, "status")):
        url = service["environment"]["COLORBOT_DATABASE_URL"]
        assert url.startswith("postgresql+psycopg://") and "@db:" in url
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
    assert "ports" not in worker, "scaled workers cannot all publish one port"


def test_every_compose_variable_is_documented_in_the_example_env() -> None:
    documented = set(env_lines(EXAMPLE_ENV, commented=True))
    for path in COMPOSE_FILES:
        missing = compose_variables(path.read_text()) - documented
        assert not missing, f"{path.name}: {sorted(missing)} not in {EXAMPLE_ENV.name}"


def test_docker_compose_config_accepts_the_files(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("docker compose is not installed here; the files are checked with PyYAML above")
    for name, example in OPERATOR_FILES.items():  # pragma: no cover - needs docker compose
        shutil.copy(example, tmp_path / name)
    for path in COMPOSE_FILES:  # pragma: no cover
        shutil.copy(path, tmp_path / path.name)
        result = subprocess.run([docker, "compose", "-f", str(tmp_path / path.name), "config", "--quiet"],
                                capture_output=True, text=True, cwd=tmp_path)
        assert result.returncode == 0, result.stderr


# -- systemd -------------------------------------------------------------------------------------
def test_units_restart_read_secrets_from_the_env_file_and_share_one_hardening() -> None:
    services = {p.name: read_unit(p) for p in UNITS if p.suffix == ".service"}
    assert {"colorbot.service", "colorbot-run-once.service"} <= set(services)
    main = services["colorbot.service"]["Service"]
    assert main["Restart"] == "on-failure" and main["RestartPreventExitStatus"] == "2"
    hardening = {key: main[key] for key in HARDENING}
    assert hardening["ProtectSystem"] == "strict" and hardening["ReadWritePaths"] == "/var/lib/colorbot"
    for name, unit in services.items():
        section = unit["Service"]
        assert section["User"] == "colorbot", name
        assert section["EnvironmentFile"] == "/etc/colorbot/colorbot.env", name
        assert "COLORBOT_CONFIG=/etc/colorbot/colorbot.toml" in section["Environment"], name
        assert section["WorkingDirectory"] == "/var/lib/colorbot", name
        assert {key: section.get(key) for key in HARDENING} == hardening, f"{name}: hardening differs from colorbot.service"
    timer = read_unit(DEPLOY / "systemd" / "colorbot-run-once.timer")
    assert timer["Install"]["WantedBy"] == "timers.target" and timer["Timer"].get("Unit", "colorbot-run-once.service") in services
    assert services["colorbot-run-once.service"]["Service"]["Type"] == "oneshot"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed (apt-get install systemd)")
def test_systemd_analyze_verify_finds_nothing_wrong(tmp_path: Path) -> None:
    complaints = [line for line in systemd_verify(UNITS, tmp_path).splitlines() if str(tmp_path) in line or "exit" in line]
    assert not complaints, "\n".join(complaints)
    broken = tmp_path / "broken"
    broken.mkdir()
    typo = broken / "colorbot.service"
    typo.write_text((DEPLOY / "systemd" / "colorbot.service").read_text().replace("Restart=on-failure", "Restrat=on-failure"))
    assert "Unknown key 'Restrat'" in systemd_verify([typo], tmp_path / "broken"), "verify must catch a typo"


# -- examples ------------------------------------------------------------------------------------
def test_example_config_loads_and_holds_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    settings = load_settings(EXAMPLE_TOML, environ={})
    assert settings.dry_run, "a first deployment only writes to the outbox"
    assert settings.database_url.startswith("sqlite:///") and not settings.database_url.startswith("sqlite:////")

    def walk(table: dict, path: str = "") -> Iterator[tuple[str, object]]:
        for key, value in table.items():
            yield from walk(value, f"{path}{key}.") if isinstance(value, dict) else [(path + key, value)]

    for key, value in walk(tomllib.loads(EXAMPLE_TOML.read_text())):
        assert not SECRET_NAME.search(key), f"{key}: secrets go in the environment file"
        assert not (isinstance(value, str) and re.search(r"://[^/@\s]+:[^/@\s]+@", value)), f"{key}: a password in a URL"


def test_example_env_has_only_placeholders_and_known_variables(caplog: pytest.LogCaptureFixture) -> None:
    active, every = env_lines(EXAMPLE_ENV, commented=False), env_lines(EXAMPLE_ENV, commented=True)
    assert {"praw_client_id", "praw_client_secret", "praw_username", "praw_password"} <= set(active)
    for key, value in every.items():
        assert value == value.strip() and not value.startswith(('"', "'")), f"{key}: systemd and compose read quotes differently"
        if SECRET_NAME.search(key) or key.startswith("praw_") or "://" in value:
            secret = re.sub(r"^.*://[^:]+:([^@]+)@.*$", r"\1", value)
            assert secret == PLACEHOLDER, f"{key}: expected the placeholder {PLACEHOLDER}, not a value"
    colorbot_vars = {k: v for k, v in every.items() if k.startswith("COLORBOT_")}
    assert colorbot_vars, "the example shows how to set the database URL"
    with caplog.at_level(logging.WARNING, logger="bot.config"):
        load_settings(EXAMPLE_TOML, environ={**colorbot_vars, "COLORBOT_HOST_KIND": "imgur"})
    assert not caplog.records, [r.getMessage() for r in caplog.records]


def test_git_ignores_the_files_operators_fill_in() -> None:
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    for name in OPERATOR_FILES:
        path = f"deploy/{name}"
        assert subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT).returncode == 0, f"{path} is not ignored"


def test_readme_covers_what_an_operator_must_do() -> None:
    text = (DEPLOY / "README.md").read_text(encoding="utf-8")
    headings = re.findall(r"^#+ (.+)$", text, re.MULTILINE)
    for section in README_SECTIONS:
        assert section in headings, f"deploy/README.md: no section {section!r}"
    for name in re.findall(r"\b((?:compose[\w.]*\.yaml)|Dockerfile(?:\.cpu)?|colorbot[\w.-]*\.(?:service|timer))\b", text):
        assert list(DEPLOY.rglob(name)), f"README names {name}, which is not in deploy/"
