"""The bot's settings: one small typed object, loaded from one TOML file plus environment overrides.

Why one place: every operator question ("which subreddits? which database? dry run?") is
answered by ``colorbot config``, and every module reads the same frozen object instead of
its own environment variables.

Precedence (later wins): defaults < TOML file < environment.

- File: ``--config PATH`` (or ``COLORBOT_CONFIG``); a missing *explicit* file is an error, a
  missing default ``./colorbot.toml`` just means "defaults".
- Environment: ``COLORBOT_<KEY>`` for top-level keys and ``COLORBOT_<SECTION>_<KEY>`` for keys
  in a section, upper-case (``COLORBOT_DRY_RUN=1``, ``COLORBOT_WORKER_BATCH_SIZE=8``,
  ``COLORBOT_DETECTION_<ANY_KEY>``). Values are parsed by the field's type: booleans accept
  1/0, true/false, yes/no, on/off; lists are comma-separated (or a TOML array); an empty value sets an optional
  field to None; detection values are TOML literals (``0.8``, ``true``, ``"x"``) or plain text.

Reddit credentials are *not* settings: PRAW reads them from its own praw.ini site / ``praw_*``
environment variables (``reddit.praw_site`` picks the site). Secrets never reach ``repr``,
errors or :meth:`Settings.masked`.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import string
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from bot.reply_text import DEFAULT_TEMPLATE, DEFAULT_VIDEO_TEMPLATE, PLACEHOLDERS
from db.engine import DEFAULT_URL, mask_url

log = logging.getLogger(__name__)

DEFAULT_CONFIG_PATH = Path("colorbot.toml")
CONFIG_ENV = "COLORBOT_CONFIG"
ENV_PREFIX = "COLORBOT_"
MASK = "***"
APP_ID = "colorbot"
#: Field names that hold secrets, whatever section they are in.
SECRET_NAME = re.compile(r"secret|token|password|passwd|client_id|api_key", re.IGNORECASE)

#: Placeholders ``reply_template`` may use (``str.format`` fields; write ``{{``/``}}`` for braces).
# The reply text's placeholders and default live with the code that renders them.
REPLY_PLACEHOLDERS = PLACEHOLDERS
DEFAULT_REPLY_TEMPLATE = DEFAULT_TEMPLATE
DEFAULT_VIDEO_REPLY_TEMPLATE = DEFAULT_VIDEO_TEMPLATE

HostKind = Literal["reddit", "imgur", "local", "outbox"]


class ConfigError(ValueError):
    """A setting that cannot be used; the message names the file key or environment variable."""


def _secret(default: Any = None) -> Any:
    """A field whose value must never be printed."""
    return field(default=default, metadata={"secret": True})


class _Section:
    """Shared behaviour: a repr that never shows secrets."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({_mask_tree(self)!r})"


@dataclass(frozen=True, repr=False)
class RedditSettings(_Section):
    """Who we are on Reddit. Credentials live in PRAW's configuration, not here."""

    praw_site: str | None = None  # praw.ini section; None: PRAW's choice (``praw_site`` env var, else DEFAULT)
    owner: str = "colorbot"  # Reddit username of the operator, for the User-Agent


@dataclass(frozen=True, repr=False)
class HostSettings(_Section):
    """Where colorized images are published."""

    kind: HostKind = "reddit"
    imgur_client_id: str | None = _secret()
    local_dir: Path = Path("hosted")
    local_base_url: str | None = None  # public URL under which local_dir is served
    outbox_dir: Path = Path("outbox")


@dataclass(frozen=True, repr=False)
class DownloadSettings(_Section):
    """Limits for fetching the photos we are asked to colorize (see ``bot.download``)."""

    max_image_bytes: int = 20_000_000
    max_megapixels: float = 50.0
    connect_timeout_seconds: float = 5.0
    read_timeout_seconds: float = 15.0
    total_timeout_seconds: float = 60.0
    allowed_hosts: tuple[str, ...] = ()  # extra image hosts besides i.redd.it, preview.redd.it, i.imgur.com
    sandbox_image_base_url: str | None = None  # trusted (even plain http / loopback); local sandbox only


@dataclass(frozen=True, repr=False)
class WorkerSettings(_Section):
    """How a worker claims jobs from the queue."""

    batch_size: int = 4
    lease_seconds: int = 600
    max_attempts: int = 5
    interval_seconds: float = 5.0  # how often `colorbot run` looks at the queue


@dataclass(frozen=True, repr=False)
class VideoSettings(_Section):
    """Black-and-white video posts: limits checked before any download, and the clip worker."""

    enabled: bool = True  # false: video posts are skipped at ingest, as before
    max_seconds: float = 60.0  # the declared duration; longer clips are refused before downloading
    max_megabytes: float = 200.0  # the size the declared bitrate x duration implies, and the download cap
    max_height: int = 720  # the tallest rendition fetched from v.redd.it's playlist
    work_dir: Path = Path("clips")  # one folder per clip job; a clip restarted after a crash resumes there
    lease_seconds: int = 300  # a clip's lease, renewed every third of it while the clip is worked on
    segment_seconds: float = 10.0  # colorized clip is kept in segments this long: a restart loses at most one
    reply_template: str = DEFAULT_VIDEO_REPLY_TEMPLATE


@dataclass(frozen=True, repr=False)
class ServeSettings(_Section):
    """The status page, /metrics and /healthz (``colorbot serve``, ``colorbot run --serve-port``)."""

    host: str = "127.0.0.1"  # loopback: publish it through a reverse proxy if needed
    port: int = 8080  # 0: any free port (printed at start)
    max_poll_age_seconds: float | None = None  # /healthz fails past this; None: 3 x poll_interval_seconds
    recent: int = 12  # how many comparisons, failures and jobs the page shows


@dataclass(frozen=True, repr=False)
class BackupSettings(_Section):
    """SQLite online backups taken by ``colorbot run`` (on PostgreSQL use pg_dump; these do nothing)."""

    dir: Path = Path("backups")
    interval_hours: float = 24.0  # 0: no scheduled backups (``colorbot backup`` still works)
    keep: int = 7  # the newest backups kept; older ones are deleted


@dataclass(frozen=True, repr=False)
class ScoresSettings(_Section):
    """Reading the scores of the bot's own replies back (``bot.reply_scores``), and taking down ones readers voted down."""

    interval_seconds: float = 3600.0  # how often `colorbot run` looks for replies due a look
    max_age_days: float = 7.0  # replies older than this are no longer read back
    self_remove: bool = True  # delete a reply (and its comparison) whose score fell to remove_at_or_below
    remove_at_or_below: int = -1
    remove_min_age_hours: float = 1.0  # ... but only once it has been up this long


@dataclass(frozen=True, repr=False)
class Settings(_Section):
    """Everything the bot needs to know, with defaults that work for a first dry run."""

    subreddits: tuple[str, ...] = ("Colorization", "OldSchoolCool")
    database_url: str = DEFAULT_URL
    model_path: Path | None = None  # None: the checkpoint shipped with colorbot
    model_store: Path | None = None  # promoted models (`colorbot model`); the database names the current one
    render_size: int | None = None  # None: the checkpoint's
    device: str = "auto"
    engine: str = "auto"  # auto: ONNX Runtime on the CPU, PyTorch on a GPU; torch | onnx to choose
    poll_interval_seconds: float = 60.0
    catch_up_hours: float = 24.0  # after downtime, page back to the newest post seen, but no further than this
    reply_template: str = DEFAULT_REPLY_TEMPLATE
    max_replies_per_hour: int = 20
    dry_run: bool = False
    reddit: RedditSettings = field(default_factory=RedditSettings)
    host: HostSettings = field(default_factory=HostSettings)
    download: DownloadSettings = field(default_factory=DownloadSettings)
    worker: WorkerSettings = field(default_factory=WorkerSettings)
    video: VideoSettings = field(default_factory=VideoSettings)
    serve: ServeSettings = field(default_factory=ServeSettings)
    backup: BackupSettings = field(default_factory=BackupSettings)
    scores: ScoresSettings = field(default_factory=ScoresSettings)
    detection: dict[str, Any] = field(default_factory=dict)  # passed through to the detector as is

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def user_agent(self) -> str:
        """Reddit's required format: ``platform:app-id:version (by /u/username)``."""
        return f"python:{APP_ID}:{colorbot_version()} (by /u/{self.reddit.owner})"

    def model_file(self) -> Path:
        """The checkpoint to load (imports torch via the colorizer, so only call it where needed)."""
        if self.model_path is not None:
            return self.model_path
        from colorizer.checkpoint import DEFAULT_CHECKPOINT

        return DEFAULT_CHECKPOINT

    def masked(self) -> dict[str, Any]:
        """The settings as plain data for printing, secrets replaced by ``***``."""
        tree = _mask_tree(self)
        tree["user_agent"] = self.user_agent
        return tree


def colorbot_version() -> str:
    """The installed package version (a source checkout without metadata says 0+unknown)."""
    from importlib import metadata

    try:
        return metadata.version("colorbot")
    except metadata.PackageNotFoundError:
        return "0+unknown"


# -- loading ------------------------------------------------------------------------------------
def load_settings(path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults, then the TOML file, then ``COLORBOT_*`` variables from ``environ`` (default: os.environ)."""
    environ = os.environ if environ is None else environ
    explicit = path is not None or bool(environ.get(CONFIG_ENV))
    file = Path(path if path is not None else environ.get(CONFIG_ENV) or DEFAULT_CONFIG_PATH)
    data: dict[str, Any] = {}
    if file.is_file():
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{file}: not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{file}: cannot read: {exc.strerror or exc}") from None
    elif explicit:
        raise ConfigError(f"{file}: config file not found")
    return _build(Settings, data, environ, section=(), source=str(file))


def _build(cls: type, data: Mapping[str, Any], environ: Mapping[str, str], *, section: tuple[str, ...], source: str) -> Any:
    """One dataclass from its TOML table and the environment, recursing into sections."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        where = f"[{'.'.join(section)}] " if section else ""
        raise ConfigError(f"{source}: unknown setting {where}{unknown[0]!r} (known: {', '.join(fields)})")
    if not section:
        _warn_unknown_env(environ)
    values: dict[str, Any] = {}
    for name, f in fields.items():
        tp, path = hints[name], (*section, name)
        if dataclasses.is_dataclass(tp):
            table = data.get(name, {})
            if not isinstance(table, dict):
                raise ConfigError(f"{source}: {name} must be a table [{name}]")
            values[name] = _build(tp, table, environ, section=path, source=source)
        elif name == "detection":
            values[name] = _detection(data.get(name, {}), environ, source)
        else:
            secret = _is_secret(f)
            if name in data:
                values[name] = _convert(data[name], tp, where=f"{source}: {'.'.join(path)}", secret=secret, text=False)
            env = env_name(*path)
            if env in environ:
                values[name] = _convert(environ[env], tp, where=env, secret=secret, text=True)
    try:
        return cls(**values)
    except ConfigError as exc:
        raise ConfigError(f"{source} / environment: {exc}") from None


def env_name(*path: str) -> str:
    """The environment variable for a setting: ``env_name("worker", "batch_size")`` → COLORBOT_WORKER_BATCH_SIZE."""
    return ENV_PREFIX + "_".join(path).upper()


def _known_env_names() -> set[str]:
    names = {CONFIG_ENV}
    for f in dataclasses.fields(Settings):
        sub = typing.get_type_hints(Settings)[f.name]
        if dataclasses.is_dataclass(sub):
            names |= {env_name(f.name, g.name) for g in dataclasses.fields(sub)}
        else:
            names.add(env_name(f.name))
    return names


#: Variables with the prefix that are not settings: the test suite's own switches (see .ci/run).
NOT_SETTINGS_PREFIXES = ("COLORBOT_TEST_", "COLORBOT_REQUIRE_")
#: Variables with the prefix that the colorizer reads itself (``colorizer.onnx_graph.cache_dir``).
NOT_SETTINGS_NAMES = ("COLORBOT_CACHE_DIR",)


def _warn_unknown_env(environ: Mapping[str, str]) -> None:
    """A typo in a variable name would otherwise be silently ignored."""
    known = _known_env_names()
    exempt = (env_name("detection") + "_", *NOT_SETTINGS_PREFIXES)
    for name in sorted(environ):
        if name.startswith(ENV_PREFIX) and name not in known and name not in NOT_SETTINGS_NAMES and not name.startswith(exempt):
            log.warning("ignoring unknown environment variable %s", name)


def _detection(table: Any, environ: Mapping[str, str], source: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: detection must be a table [detection]")
    result = dict(table)
    prefix = env_name("detection") + "_"
    for name, raw in environ.items():
        if name.startswith(prefix) and len(name) > len(prefix):
            try:
                result[name[len(prefix):].lower()] = tomllib.loads(f"v = {raw}")["v"]
            except tomllib.TOMLDecodeError:
                result[name[len(prefix):].lower()] = raw
    return result


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _convert(raw: Any, tp: Any, *, where: str, secret: bool, text: bool) -> Any:
    """``raw`` (a TOML value, or an environment string when ``text``) as type ``tp``, or a ConfigError."""
    shown = MASK if secret else repr(raw)
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            return None
        return _convert(raw, inner[0], where=where, secret=secret, text=text)
    if typing.get_origin(tp) is Literal:
        value = raw.strip().lower() if isinstance(raw, str) else raw
        if value not in args:
            raise ConfigError(f"{where}: expected one of {', '.join(map(str, args))}, got {shown}")
        return value
    if typing.get_origin(tp) is tuple:
        items = raw
        if text:
            try:  # a TOML array (["a", "b"]) or plain comma-separated text
                items = tomllib.loads(f"v = {raw}")["v"] if raw.lstrip().startswith("[") else [s.strip() for s in raw.split(",")]
            except tomllib.TOMLDecodeError:
                raise ConfigError(f"{where}: expected a comma-separated list, got {shown}") from None
        if not isinstance(items, list) or not all(isinstance(s, str) for s in items):
            raise ConfigError(f"{where}: expected a list of strings, got {shown}")
        return tuple(s for s in items if s)
    if tp is bool:
        if text and raw.strip().lower() in _TRUE | _FALSE:
            return raw.strip().lower() in _TRUE
        if not text and isinstance(raw, bool):
            return raw
        raise ConfigError(f"{where}: expected true or false, got {shown}")
    if tp in (int, float):
        kind = "an integer" if tp is int else "a number"
        if text:
            try:
                return tp(raw.strip())
            except ValueError:
                raise ConfigError(f"{where}: expected {kind}, got {shown}") from None
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or (tp is int and not isinstance(raw, int)):
            raise ConfigError(f"{where}: expected {kind}, got {shown}")
        return tp(raw)
    if tp in (str, Path):
        if not isinstance(raw, str):
            raise ConfigError(f"{where}: expected a string, got {shown}")
        return Path(raw).expanduser() if tp is Path else raw
    raise TypeError(f"no conversion for {tp!r}")  # a programming error in the dataclasses above


# -- validation ----------------------------------------------------------------------------------
def _validate(s: Settings) -> None:
    """Checks that span fields or need more than a type; messages name the setting and its variable."""

    def need(ok: bool, path: tuple[str, ...], message: str) -> None:
        if not ok:
            raise ConfigError(f"{'.'.join(path)} ({env_name(*path)}): {message}")

    need(bool(s.subreddits), ("subreddits",), "name at least one subreddit")
    need(all(re.fullmatch(r"[A-Za-z0-9_]{2,21}", n) for n in s.subreddits), ("subreddits",), "not a subreddit name (no r/ prefix)")
    need(s.render_size is None or s.render_size >= 32, ("render_size",), "must be at least 32")
    need(s.engine in ("auto", "torch", "onnx"), ("engine",), "must be auto, torch or onnx")
    need(s.poll_interval_seconds > 0, ("poll_interval_seconds",), "must be positive")
    need(s.catch_up_hours > 0, ("catch_up_hours",), "must be positive")
    need(s.max_replies_per_hour >= 0, ("max_replies_per_hour",), "must not be negative")
    need(re.fullmatch(r"[A-Za-z0-9_-]{3,20}", s.reddit.owner) is not None, ("reddit", "owner"), "not a Reddit username (no /u/ prefix)")
    for path, template in ((("reply_template",), s.reply_template), (("video", "reply_template"), s.video.reply_template)):
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
        except ValueError as exc:
            raise ConfigError(f"{'.'.join(path)} ({env_name(*path)}): {exc} (write {{{{ and }}}} for literal braces)") from None
        need(fields <= REPLY_PLACEHOLDERS, path, f"unknown placeholder {{{min(fields - REPLY_PLACEHOLDERS, default='')}}}; known: {', '.join(sorted(REPLY_PLACEHOLDERS))}")
    h = s.host
    need(h.kind != "imgur" or bool(h.imgur_client_id), ("host", "imgur_client_id"), "required when host.kind is imgur")
    need(h.kind != "local" or bool(h.local_base_url), ("host", "local_base_url"), "required when host.kind is local")
    for name in ("local_base_url",):
        need(_is_http_url(getattr(h, name)), ("host", name), "expected an http(s) URL")
    d = s.download
    for name in ("max_image_bytes", "max_megapixels", "connect_timeout_seconds", "read_timeout_seconds", "total_timeout_seconds"):
        need(getattr(d, name) > 0, ("download", name), "must be positive")
    need(all(re.fullmatch(r"[a-z0-9.-]+", h) for h in d.allowed_hosts), ("download", "allowed_hosts"), "expected lower-case host names")
    need(_is_http_url(d.sandbox_image_base_url), ("download", "sandbox_image_base_url"), "expected an http(s) URL")
    w = s.worker
    for name in ("batch_size", "lease_seconds", "max_attempts"):
        need(getattr(w, name) >= 1, ("worker", name), "must be at least 1")
    need(0 <= s.serve.port <= 65535, ("serve", "port"), "must be 0..65535")
    need(s.serve.max_poll_age_seconds is None or s.serve.max_poll_age_seconds > 0, ("serve", "max_poll_age_seconds"), "must be positive")
    need(s.serve.recent >= 1, ("serve", "recent"), "must be at least 1")
    need(s.backup.interval_hours >= 0, ("backup", "interval_hours"), "must not be negative (0: off)")
    need(s.backup.keep >= 1, ("backup", "keep"), "must be at least 1")
    need(w.interval_seconds > 0, ("worker", "interval_seconds"), "must be positive")
    v = s.video
    for name in ("max_seconds", "max_megabytes", "max_height", "lease_seconds", "segment_seconds"):
        need(getattr(v, name) > 0, ("video", name), "must be positive")
    need(v.lease_seconds >= 3, ("video", "lease_seconds"), "must be at least 3 (it is renewed every third of it)")


def _is_http_url(url: str | None) -> bool:
    if url is None:
        return True
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


# -- masking -------------------------------------------------------------------------------------
def _is_secret(f: dataclasses.Field[Any]) -> bool:
    return bool(f.metadata.get("secret")) or bool(SECRET_NAME.search(f.name))


def mask_secret_url(url: str) -> str:
    """A URL with any ``user:password@`` password replaced, for URLs that are not database URLs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:{MASK}@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _mask_value(name: str, value: Any, secret: bool) -> Any:
    if value is None:
        return None
    if secret or SECRET_NAME.search(name):
        return MASK
    if name == "database_url":
        return mask_url(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dict):
        return {k: _mask_value(str(k), v, False) for k, v in value.items()}
    if isinstance(value, str) and "@" in value and "://" in value:
        return mask_secret_url(value)
    return value


def _mask_tree(obj: Any) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        tree[f.name] = _mask_tree(value) if dataclasses.is_dataclass(value) else _mask_value(f.name, value, _is_secret(f))
    return tree


def mask_client_id(client_id: str | None) -> str | None:
    """Enough of a client id to tell two apps apart (first 4 characters), never the whole id."""
    if not client_id:
        return None
    return client_id[:4] + MASK if len(client_id) >= 12 else MASK


#: PRAW keys that are secret (masked fully) in :func:`praw_site_config`.
PRAW_SECRETS = ("client_secret", "password", "refresh_token")
PRAW_SHOWN = ("client_id", "client_secret", "username", "password", "refresh_token", "redirect_uri", "user_agent",
              "oauth_url", "reddit_url", "short_url", "ratelimit_seconds", "timeout", "check_for_updates")


def praw_site_config(site: str | None = None) -> dict[str, Any]:
    """PRAW's effective configuration for ``site`` (praw.ini + ``praw_*`` env), masked; no network.

    ``site`` None resolves as PRAW does: the ``praw_site`` environment variable, else DEFAULT.
    """
    import configparser

    from praw.config import Config
    from praw.exceptions import ClientException

    name = site or os.getenv("praw_site") or "DEFAULT"
    try:
        config = Config(name)
    except configparser.NoSectionError:
        raise ConfigError(f"praw.ini has no site [{name}] (reddit.praw_site / praw_site)") from None
    except (configparser.Error, ValueError) as exc:
        raise ConfigError(f"praw.ini site [{name}]: {type(exc).__name__}") from None
    result: dict[str, Any] = {"site": name}
    for key in PRAW_SHOWN:
        try:
            value = getattr(config, key)
        except ClientException:  # short_url raises when unset
            value = None
        value = None if value is Config.CONFIG_NOT_SET else value
        if key == "client_id":
            value = mask_client_id(value)
        elif key in PRAW_SECRETS and value:
            value = MASK
        elif isinstance(value, str):
            value = mask_secret_url(value)
        result[key] = value
    return result
