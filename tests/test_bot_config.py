"""Settings: defaults, TOML, environment overrides, validation and secret masking (incl. `colorbot config`)."""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bot.commands.config import config_command
from bot.config import (
    DEFAULT_REPLY_TEMPLATE,
    REPLY_PLACEHOLDERS,
    ConfigError,
    Settings,
    _known_env_names,
    load_settings,
    praw_site_config,
)

SECRETS = {
    "praw_client_id": "CLIENTID-abcdefghijklmnop",
    "praw_client_secret": "PRAW-SECRET-0xdeadbeef",
    "praw_password": "PRAW-PASSWORD-hunter2",
    "praw_refresh_token": "PRAW-REFRESH-TOKEN-42",
    "COLORBOT_HOST_IMGUR_CLIENT_ID": "IMGUR-CLIENT-ID-7777",
    "COLORBOT_DATABASE_URL": "postgresql+psycopg://bot:DB-PASSWORD-s3cr3t@db.example/colorbot",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No stray COLORBOT_/praw_ variables, and a working directory without colorbot.toml or praw.ini."""
    for name in list(os.environ):
        if name.startswith("COLORBOT_") or name.lower().startswith("praw_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_when_the_default_file_is_missing() -> None:
    s = load_settings(environ={})
    assert s == Settings()
    assert s.subreddits == ("Colorization", "OldSchoolCool")
    assert s.database_url == "sqlite:///colorbot.db"
    assert s.model_path is None and s.render_size is None
    assert s.host.kind == "reddit" and s.dry_run is False
    assert re.fullmatch(r"python:colorbot:\S+ \(by /u/colorbot\)", s.user_agent)


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml", environ={})
    with pytest.raises(ConfigError, match="not found"):
        load_settings(environ={"COLORBOT_CONFIG": str(tmp_path / "nope.toml")})


def test_default_file_in_working_directory_is_read(tmp_path: Path) -> None:
    write(tmp_path / "colorbot.toml", 'dry_run = true\n[reddit]\nowner = "someone"\n')
    s = load_settings(environ={})
    assert s.dry_run is True and s.user_agent.endswith("(by /u/someone)")


def test_toml_then_environment(tmp_path: Path) -> None:
    config = write(tmp_path / "bot.toml", """
subreddits = ["OldPhotos"]
render_size = 512
poll_interval_seconds = 30
model_path = "~/models/m.pt"
[worker]
batch_size = 2
max_attempts = 3
[download]
allowed_hosts = ["i.example.com"]
[detection]
min_grayness = 0.9
""")
    env = {
        "COLORBOT_WORKER_BATCH_SIZE": "16",
        "COLORBOT_DRY_RUN": "yes",
        "COLORBOT_SUBREDDITS": "Colorization, OldSchoolCool,",
        "COLORBOT_HOST_KIND": "Outbox",
        "COLORBOT_RENDER_SIZE": "",
        "COLORBOT_DOWNLOAD_MAX_MEGAPIXELS": "12.5",
        "COLORBOT_DOWNLOAD_SANDBOX_IMAGE_BASE_URL": "http://127.0.0.1:8765",
        "COLORBOT_DETECTION_MAX_SIDE": "1024",
        "COLORBOT_DETECTION_MODE": "strict",
    }
    s = load_settings(config, environ=env)
    assert s.worker.batch_size == 16 and s.worker.max_attempts == 3
    assert s.dry_run is True
    assert s.subreddits == ("Colorization", "OldSchoolCool")
    assert s.host.kind == "outbox"
    assert s.render_size is None
    assert s.poll_interval_seconds == 30.0 and isinstance(s.poll_interval_seconds, float)
    assert s.model_path == Path("~/models/m.pt").expanduser()
    assert s.download.max_megapixels == 12.5 and s.download.allowed_hosts == ("i.example.com",)
    assert s.download.sandbox_image_base_url == "http://127.0.0.1:8765"
    assert s.detection == {"min_grayness": 0.9, "max_side": 1024, "mode": "strict"}


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("COLORBOT_WORKER_BATCH_SIZE", "many", "expected an integer"),
        ("COLORBOT_DRY_RUN", "maybe", "expected true or false"),
        ("COLORBOT_HOST_KIND", "dropbox", "expected one of reddit, imgur, local, outbox"),
        ("COLORBOT_POLL_INTERVAL_SECONDS", "soon", "expected a number"),
        ("COLORBOT_WORKER_LEASE_SECONDS", "0", "must be at least 1"),
        ("COLORBOT_SUBREDDITS", "r/pics", "not a subreddit name"),
    ],
)
def test_bad_environment_value_names_the_variable(name: str, value: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ={name: value})
    assert name in str(info.value) and expected in str(info.value)


def test_lists_and_empty_optionals(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path / "a.toml", 'model_path = ""\n[host]\nkind = "Local"\nlocal_base_url = "https://x.example/"\n'),
                      environ={"COLORBOT_DOWNLOAD_ALLOWED_HOSTS": '["i.example.com", "cdn.example.org"]'})
    assert s.model_path is None and s.host.kind == "local"
    assert s.download.allowed_hosts == ("i.example.com", "cdn.example.org")


def test_bad_toml_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path / "a.toml", "dry_run = = 1"), environ={})
    with pytest.raises(ConfigError, match="unknown setting .*batchsize"):
        load_settings(write(tmp_path / "b.toml", "[worker]\nbatchsize = 1\n"), environ={})
    with pytest.raises(ConfigError, match="worker.batch_size: expected an integer"):
        load_settings(write(tmp_path / "c.toml", '[worker]\nbatch_size = "2"\n'), environ={})


def test_host_kind_needs_its_options() -> None:
    with pytest.raises(ConfigError, match="COLORBOT_HOST_IMGUR_CLIENT_ID"):
        load_settings(environ={"COLORBOT_HOST_KIND": "imgur"})
    with pytest.raises(ConfigError, match="COLORBOT_HOST_LOCAL_BASE_URL"):
        load_settings(environ={"COLORBOT_HOST_KIND": "local"})
    s = load_settings(environ={"COLORBOT_HOST_KIND": "local", "COLORBOT_HOST_LOCAL_BASE_URL": "https://img.example/c/"})
    assert s.host.local_base_url == "https://img.example/c/"


def test_reply_template_placeholders_are_checked() -> None:
    rendered = DEFAULT_REPLY_TEMPLATE.format(**{name: f"https://x/{name}" for name in REPLY_PLACEHOLDERS})
    assert "https://x/comparison_url" in rendered and "bot" in rendered and "opt out" in rendered
    with pytest.raises(ConfigError, match="unknown placeholder"):
        Settings(reply_template="see {comparison_link}")
    with pytest.raises(ConfigError, match="braces"):
        Settings(reply_template="a { b")
    assert Settings(reply_template="{{literal}} {comparison_url}").reply_template


def test_env_names_do_not_collide() -> None:
    names = _known_env_names()
    assert "COLORBOT_WORKER_BATCH_SIZE" in names and "COLORBOT_DOWNLOAD_SANDBOX_IMAGE_BASE_URL" in names
    assert len(names) == len(set(names))


def test_secrets_are_masked_in_masked_repr_and_errors() -> None:
    env = {k: v for k, v in SECRETS.items() if k.startswith("COLORBOT_")}
    s = load_settings(environ={**env, "COLORBOT_HOST_KIND": "imgur"})
    assert s.host.imgur_client_id == SECRETS["COLORBOT_HOST_IMGUR_CLIENT_ID"]
    text = json.dumps(s.masked()) + repr(s) + str(s)
    for secret in ("IMGUR-CLIENT-ID-7777", "DB-PASSWORD-s3cr3t"):
        assert secret not in text
    assert s.masked()["database_url"] == "postgresql+psycopg://bot:***@db.example/colorbot"
    assert s.masked()["host"]["imgur_client_id"] == "***"


def test_praw_site_config_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        if name.startswith("praw_"):
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("praw_username", "colorbot")
    cfg = praw_site_config(None)
    assert cfg["site"] == "DEFAULT" and cfg["username"] == "colorbot"
    assert cfg["client_secret"] == cfg["password"] == cfg["refresh_token"] == "***"
    assert cfg["client_id"] == "CLIE***"
    with pytest.raises(ConfigError, match="no site"):
        praw_site_config("no_such_site_here")


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(config_command)
    return app


@pytest.mark.parametrize("as_json", [False, True])
def test_config_command_never_prints_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, as_json: bool) -> None:
    config = write(tmp_path / "bot.toml", '[host]\nkind = "imgur"\n[detection]\napi_token = "DETECTION-TOKEN-99"\n')
    result = CliRunner().invoke(cli(), ["--config", str(config), *(["--json"] if as_json else [])], env=SECRETS)
    assert result.exit_code == 0, result.output
    for secret in [*SECRETS.values(), "DETECTION-TOKEN-99", "hunter2", "deadbeef", "s3cr3t"]:
        assert secret not in result.output
    assert "postgresql+psycopg://bot:***@db.example/colorbot" in result.output
    assert "OldSchoolCool" in result.output and "praw" in result.output
    if as_json:
        data = json.loads(result.output)
        assert data["praw"]["client_secret"] == "***" and data["host"]["imgur_client_id"] == "***"


def test_config_command_toml_output_round_trips(tmp_path: Path) -> None:
    import tomllib

    result = CliRunner().invoke(cli(), [], env={"COLORBOT_DRY_RUN": "1"})
    assert result.exit_code == 0, result.output
    data = tomllib.loads(result.output)
    assert data["dry_run"] is True and data["reply_template"] == DEFAULT_REPLY_TEMPLATE
    assert "# user_agent: python:colorbot:" in result.output
    assert load_settings(write(tmp_path / "again.toml", result.output), environ={}) == load_settings(environ={"COLORBOT_DRY_RUN": "1"})


def test_config_command_bad_value_exits_2_without_the_secret() -> None:
    result = CliRunner().invoke(cli(), [], env={"COLORBOT_HOST_KIND": "imgur", "COLORBOT_WORKER_BATCH_SIZE": "lots",
                                                "COLORBOT_HOST_IMGUR_CLIENT_ID": "IMGUR-CLIENT-ID-7777"})
    assert result.exit_code == 2
    assert "COLORBOT_WORKER_BATCH_SIZE" in result.output and "IMGUR-CLIENT-ID-7777" not in result.output


def test_a_misspelt_variable_is_warned_about_but_the_test_switches_are_not(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="bot.config")
    load_settings(environ={"COLORBOT_POLL_INTERVALL_SECONDS": "5", "COLORBOT_REQUIRE_POSTGRES": "1",
                           "COLORBOT_TEST_POSTGRES_URL": "postgresql+psycopg://u:p@127.0.0.1/t"})
    warned = [r.getMessage() for r in caplog.records if "unknown environment variable" in r.getMessage()]
    assert warned == ["ignoring unknown environment variable COLORBOT_POLL_INTERVALL_SECONDS"]
