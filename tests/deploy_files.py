"""Readers for the files in deploy/: what a Dockerfile, compose file, unit or README runs and copies.

The tests in test_deploy.py check these files without Docker or systemd running; this module
knows their formats (and Docker's .dockerignore rules) so each test reads as its claim.
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main
import yaml

from bot.cli import app

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
DOCKERFILES = [DEPLOY / "Dockerfile", DEPLOY / "Dockerfile.cpu"]
COMPOSE_FILES = [DEPLOY / "compose.yaml", DEPLOY / "compose.postgres.yaml"]
UNITS = sorted((DEPLOY / "systemd").glob("*.service")) + sorted((DEPLOY / "systemd").glob("*.timer"))
EXAMPLE_TOML, EXAMPLE_ENV = DEPLOY / "colorbot.example.toml", DEPLOY / "colorbot.example.env"
#: Files an operator creates from the examples; compose files refer to them, git must ignore them.
OPERATOR_FILES = {".env": EXAMPLE_ENV, "colorbot.toml": EXAMPLE_TOML}
PLACEHOLDER = "CHANGE_ME"
HARDENING = ("NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp", "ReadWritePaths", "ProtectKernelTunables",
             "ProtectKernelModules", "ProtectControlGroups", "RestrictSUIDSGID", "CapabilityBoundingSet", "SystemCallFilter")
README_SECTIONS = ("First deployment", "Upgrade", "Backup and restore", "Rotating credentials",
                   "Several workers on PostgreSQL", "Moving from SQLite to PostgreSQL")


def check_colorbot_args(args: list[str], where: str) -> None:
    """Parse ``colorbot ARGS`` with the real click tree, as the shell would, without running it."""
    command, path = typer.main.get_command(app), ["colorbot"]
    while getattr(command, "commands", None) is not None:  # a group: the next word picks the subcommand
        if not args:
            pytest.fail(f"{where}: `{' '.join(path)}` needs a subcommand")
        name, args = args[0], args[1:]
        sub = command.commands.get(name)  # type: ignore[attr-defined]
        if sub is None:
            pytest.fail(f"{where}: `{' '.join(path)} {name}`: no such subcommand (have: {', '.join(command.commands)})")  # type: ignore[attr-defined]
        command, path = sub, [*path, name]
    try:
        command.make_context(" ".join(path), list(args))
    except Exception as exc:  # noqa: BLE001 - click's UsageError and friends: the line would not run
        pytest.fail(f"{where}: `{' '.join(path + list(args))}` does not parse: {exc}")


def resolve(value: str) -> str:
    """A compose value with ``${VAR:-default}`` / ``${VAR:?message}`` / ``${VAR}`` as they would be unset."""
    return re.sub(r"\$\{(\w+)(?::?-([^}]*)|:?\?[^}]*)?\}", lambda m: m.group(2) or "", value)


def compose_variables(text: str) -> set[str]:
    return set(re.findall(r"\$\{(\w+)", text))


def load_compose(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and data.get("services"), f"{path.name}: no services"
    return data


def effective_service(path: Path, name: str) -> dict:
    """A service with its ``extends`` applied (mappings merged, the rest replaced), as compose does."""
    service = dict(load_compose(path)["services"][name])
    extends = service.pop("extends", None)
    if extends is None:
        return service
    base = effective_service(path.parent / extends.get("file", path.name), extends["service"])
    for key, value in service.items():
        base[key] = {**base[key], **value} if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return base


def dockerfile_instructions(path: Path) -> Iterator[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")))
    for line in text.splitlines():
        if line.strip():
            instruction, _, rest = line.strip().partition(" ")
            yield instruction.upper(), rest.strip()


def exec_form(arguments: str) -> list[str]:
    assert arguments.startswith("["), f"use the exec (JSON) form so signals reach colorbot: {arguments}"
    return yaml.safe_load(arguments)


def read_unit(path: Path) -> configparser.RawConfigParser:
    unit = configparser.RawConfigParser(strict=True, interpolation=None, delimiters=("=",), comment_prefixes=("#", ";"))
    unit.optionxform = str  # type: ignore[assignment,method-assign] - systemd keys are case-sensitive
    unit.read(path, encoding="utf-8")
    return unit


def env_lines(path: Path, *, commented: bool) -> dict[str, str]:
    """KEY=value lines of an environment file; ``commented`` also takes ``# KEY=value`` lines."""
    pattern = re.compile(r"^(#\s*)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = pattern.match(line.strip())
        if match and (commented or not match.group(1)):
            found[match.group(2)] = match.group(3)
    return found


def all_colorbot_command_lines() -> Iterator[tuple[str, list[str]]]:
    """Every ``colorbot ...`` command the deployment files run, with where it comes from."""
    for path in DOCKERFILES:
        instructions = list(dockerfile_instructions(path))
        entrypoint = [exec_form(a) for i, a in instructions if i == "ENTRYPOINT"][-1]
        assert entrypoint == ["colorbot"], f"{path.name}: ENTRYPOINT {entrypoint}"
        yield f"{path.name} CMD", [exec_form(a) for i, a in instructions if i == "CMD"][-1]
    for path in COMPOSE_FILES:
        for name in load_compose(path)["services"]:
            service = effective_service(path, name)
            if service.get("image") == "colorbot" and "command" in service:
                yield f"{path.name} service {name}", [resolve(str(a)) for a in service["command"]]
    for path in UNITS:
        for line in read_unit(path).get("Service", "ExecStart", fallback="").splitlines():
            argv = shlex.split(line)
            assert argv[0] == "/opt/colorbot/bin/colorbot", f"{path.name}: ExecStart {argv[0]}"
            yield f"{path.name} ExecStart", argv[1:]
    yield from readme_command_lines()


def readme_command_lines() -> Iterator[tuple[str, list[str]]]:
    """``colorbot`` commands in deploy/README.md's code blocks, however they are started there."""
    fenced = False
    for line in re.sub(r"\\\n", " ", (DEPLOY / "README.md").read_text(encoding="utf-8")).splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        words = shlex.split(line, comments=True) if fenced else []
        where = f"README.md: {line.strip()}"
        if words[:1] == ["colorbot-admin"]:  # the README's systemd-run wrapper
            yield where, words[1:]
        elif "/opt/colorbot/bin/colorbot" in words and words[-1] != "$@":
            yield where, words[words.index("/opt/colorbot/bin/colorbot") + 1:]
        elif words[:2] == ["docker", "compose"] and "--entrypoint" not in words:
            words = words[2:]
            while words[:1] == ["-f"]:
                words = words[2:]
            verb, words = words[0], words[1:]
            while words and words[0].startswith("-"):
                words = words[1:]
            service, args = (words[0], words[1:]) if words else ("", [])
            if verb == "run" and service != "db":  # the image's ENTRYPOINT is colorbot
                yield where, args
            elif verb == "exec" and args[:1] == ["colorbot"]:
                yield where, args[1:]


def dockerignored(path: str) -> bool:
    """Whether the build context drops ``path``: Docker's rules, the last matching pattern wins."""

    def matches(pattern: str, candidate: str) -> bool:
        regex = re.escape(pattern.strip("/")).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
        return re.fullmatch(regex.replace(r"\?", "[^/]"), candidate) is not None

    parts = path.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    ignored = False
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            negated, pattern = line.startswith("!"), line.lstrip("!")
            if any(matches(pattern, p) for p in prefixes):
                ignored = not negated
    return ignored


def build_context(target: Path) -> None:
    """Copy what ``docker build`` would send (the repository less .dockerignore) to ``target``."""
    for folder, dirs, files in os.walk(ROOT):
        base = Path(folder).relative_to(ROOT)
        dirs[:] = [d for d in dirs if not dockerignored((base / d).as_posix())]  # the whitelist never reopens a dropped folder
        for name in files:
            relative = (base / name).as_posix()
            if not dockerignored(relative):
                (target / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / relative, target / relative)


def systemd_verify(units: list[Path], tmp_path: Path) -> str:
    """``systemd-analyze verify`` on copies whose ExecStart points at this checkout's colorbot."""
    executable = Path(sys.executable).parent / "colorbot"
    if not executable.exists():
        pytest.skip("the colorbot console script is not installed next to this Python")
    for unit in units:
        (tmp_path / unit.name).write_text(unit.read_text().replace("/opt/colorbot/bin/colorbot", str(executable)))
    result = subprocess.run(["systemd-analyze", "verify", *(str(tmp_path / u.name) for u in units)],
                            capture_output=True, text=True, timeout=60)
    return result.stdout + result.stderr + ("" if result.returncode == 0 else f"exit {result.returncode}")
