"""The `database_url` fixture: every db test runs once on a SQLite file and once on a real PostgreSQL.

PostgreSQL comes from ``COLORBOT_TEST_POSTGRES_URL`` (``.ci/start-postgres`` starts one and prints
it). Each test gets its own empty schema, selected through the URL's ``search_path``, so even
worker subprocesses given the URL see only that test's tables (and the session runs in a time
zone far from UTC, so a timestamp handled in local time fails the tests). Without the variable the
PostgreSQL cases skip, unless ``COLORBOT_REQUIRE_POSTGRES=1`` (CI), where they fail instead: a CI
run that silently skipped them would claim a coverage it does not have.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import URL, make_url, text

from db.engine import make_engine, mask_url

POSTGRES_URL_ENV = "COLORBOT_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_ENV = "COLORBOT_REQUIRE_POSTGRES"
BACKENDS = ("sqlite", "postgresql")


def postgres_base_url() -> str:
    """The test server's URL; skips the test (or fails it, where PostgreSQL is required) when unset."""
    url = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if url:
        return url
    message = f"{POSTGRES_URL_ENV} is not set: no PostgreSQL server to test against (.ci/start-postgres starts one)"
    if os.environ.get(REQUIRE_POSTGRES_ENV, "") not in ("", "0"):
        pytest.fail(f"{REQUIRE_POSTGRES_ENV}=1 but {message}", pytrace=False)
    pytest.skip(message)


#: A session time zone far from UTC with an odd offset, so a timestamp stored or read in local time shows.
SESSION_TIME_ZONE = "Pacific/Chatham"


def with_search_path(url: str | URL, schema: str) -> str:
    """`url` whose connections use `schema` first and an odd session time zone (libpq ``options``)."""
    options = f"-csearch_path={schema} -cTimeZone={SESSION_TIME_ZONE}"
    return make_url(url).update_query_dict({"options": options}).render_as_string(hide_password=False)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL of the test PostgreSQL server pointing at a fresh, empty schema (dropped afterwards)."""
    base = postgres_base_url()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = make_engine(base)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        admin.dispose()
        reason = str(exc).replace(make_url(base).password or "\0", "***")  # never show the password
        pytest.fail(f"cannot create a schema on {mask_url(base)}: {reason}", pytrace=False)
    try:
        yield with_search_path(base, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each backend in turn: a SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'colorbot.db'}"
    return request.getfixturevalue("postgres_url")
