"""Reddit's answers → bot actions, with the real PRAW/prawcore exception objects (no network)."""

from __future__ import annotations

import time

import praw
import prawcore
import pytest
import requests
from praw.exceptions import RedditAPIException
from prawcore.sessions import Session

from bot.reddit.budget import BudgetRateLimiter, RateLimitHeaders, install_rate_budget
from bot.reddit.errors import BAN_RECHECK_SECONDS, RATELIMIT_MARGIN_SECONDS, action_for, parse_ratelimit_seconds, retry_after_seconds


def reddit_response(status: int, headers: dict[str, str] | None = None, body: bytes = b"{}") -> requests.Response:
    """A real requests.Response as prawcore receives it."""
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers or {})
    response._content = body
    response.url = "https://oauth.reddit.com/api/comment"
    response.request = requests.Request("POST", response.url).prepare()
    return response


def status_error(status: int, headers: dict[str, str] | None = None) -> prawcore.PrawcoreException:
    """The exception prawcore's own status table raises for ``status``."""
    return Session.STATUS_EXCEPTIONS[status](reddit_response(status, headers))


def api_error(*items: tuple[str, str, str]) -> RedditAPIException:
    return RedditAPIException([list(item) for item in items])


@pytest.mark.parametrize(
    ("message", "seconds"),
    [
        ("Looks like you've been doing that a lot. Take a break for 5 minutes before trying again.", 300),
        ("you are doing that too much. try again in 5 minutes.", 300),
        ("you are doing that too much. try again in 9m3s.", 543),
        ("you are doing that too much. try again in 1 minute.", 60),
        ("you are doing that too much. try again in 30 seconds.", 30),
        ("you are doing that too much. try again in 2 milliseconds.", 0.002),
    ],
)
def test_ratelimit_messages_are_parsed(message: str, seconds: float) -> None:
    assert parse_ratelimit_seconds(message) == pytest.approx(seconds)
    action = action_for(api_error(("RATELIMIT", message, "ratelimit")))
    assert action.kind == "reschedule"
    assert seconds + 1 <= action.delay_seconds <= seconds + RATELIMIT_MARGIN_SECONDS + 1
    assert action.error_type == "RATELIMIT" and message in action.reason


def test_unreadable_ratelimit_still_reschedules() -> None:
    action = action_for(api_error(("RATELIMIT", "slow down", "ratelimit")))
    assert action.kind == "reschedule" and action.delay_seconds >= 60


@pytest.mark.parametrize("error_type", ["THREAD_LOCKED", "TOO_OLD", "DELETED_COMMENT"])
def test_unanswerable_posts_are_skipped(error_type: str) -> None:
    action = action_for(api_error((error_type, "whatever Reddit says", "parent")))
    assert action.kind == "skip" and action.error_type == error_type and action.reason


def test_skip_beats_ratelimit_in_one_answer() -> None:
    action = action_for(api_error(("RATELIMIT", "try again in 5 minutes.", "ratelimit"), ("THREAD_LOCKED", "locked", "parent")))
    assert action.kind == "skip"


def test_unknown_api_error_is_retried_with_backoff() -> None:
    action = action_for(api_error(("SOMETHING_IS_BROKEN", "oops", "")), attempt=3)
    assert action.kind == "retry" and action.delay_seconds > action_for(api_error(("X", "", ""))).delay_seconds


def test_forbidden_on_a_write_bans_the_subreddit_for_a_day_and_on_a_read_does_not() -> None:
    exc = status_error(403)
    assert isinstance(exc, prawcore.Forbidden)
    action = action_for(exc, write=True)
    assert action.kind == "ban_subreddit" and action.delay_seconds == BAN_RECHECK_SECONDS
    read = action_for(exc)  # banned accounts read public subreddits: a read's 403 is private/quarantined
    assert read.kind == "retry" and "not a ban" in read.reason


def test_insufficient_scope_is_not_a_ban() -> None:
    exc = status_error(403, {"www-authenticate": 'Bearer realm="reddit", error="insufficient_scope"'})
    assert isinstance(exc, prawcore.InsufficientScope)
    assert action_for(exc).kind == "backoff"


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [({"retry-after": "42"}, 42), ({"x-ratelimit-remaining": "0", "x-ratelimit-used": "100", "x-ratelimit-reset": "17"}, 17), ({}, 60)],
)
def test_too_many_requests_backs_off_globally(headers: dict[str, str], seconds: float) -> None:
    exc = status_error(429, headers)
    assert isinstance(exc, prawcore.TooManyRequests)
    action = action_for(exc)
    assert action.kind == "backoff" and action.delay_seconds == pytest.approx(seconds)


def test_retry_after_as_http_date() -> None:
    # prawcore's TooManyRequests itself fails on a date (float(retry_after)), so test the parser alone
    when = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 120))
    assert 100 <= retry_after_seconds({"retry-after": when}) <= 121


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried(status: int) -> None:
    exc = status_error(status)
    assert isinstance(exc, prawcore.ServerError)
    action = action_for(exc, attempt=1)
    assert action.kind == "retry" and action.delay_seconds > 0 and str(status) in action.reason


def test_timeouts_are_retried_without_echoing_request_data() -> None:
    exc = prawcore.RequestException(requests.ReadTimeout("read timed out"), ("POST",), {"data": {"password": "hunter2"}})
    action = action_for(exc)
    assert action.kind == "retry" and "ReadTimeout" in action.reason and "hunter2" not in repr(action)


def test_not_found_skips() -> None:
    exc = status_error(404)
    assert isinstance(exc, prawcore.NotFound)
    assert action_for(exc).kind == "skip"


def test_rate_limit_headers_parse() -> None:
    assert RateLimitHeaders.parse({"x-ratelimit-remaining": "598.0", "x-ratelimit-used": "2", "x-ratelimit-reset": "300"}) == RateLimitHeaders(598.0, 2, 300)
    assert RateLimitHeaders.parse({}) is None


def test_budget_caps_requests_per_minute() -> None:
    now = [1000.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = BudgetRateLimiter(max_per_minute=3, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        limiter.delay()
        now[0] += 1
    assert slept == [] and limiter.seconds_to_wait() == pytest.approx(59)  # 62 s window: Reddit's minute + send latency
    limiter.delay()
    assert slept == [pytest.approx(59)]
    with pytest.raises(ValueError):
        BudgetRateLimiter(max_per_minute=101)


def test_budget_honours_reddit_headers_through_prawcore() -> None:
    limiter = BudgetRateLimiter()
    limiter.update(response_headers={"x-ratelimit-remaining": "0", "x-ratelimit-used": "600", "x-ratelimit-reset": "30"})
    assert 29 <= limiter.seconds_to_wait() <= 30
    assert limiter.remaining == 0 and limiter.used == 600


def test_install_rate_budget_into_praw_without_network() -> None:
    reddit = praw.Reddit(client_id="id", client_secret="secret", user_agent="test:colorbot:0 (by /u/test)",
                         check_for_updates=False, username="u", password="p")
    limiter = install_rate_budget(reddit, max_per_minute=50)
    assert reddit._core.rate_limiter is limiter
    assert reddit._read_only_core.rate_limiter is limiter
    assert reddit.auth.limits == {"remaining": None, "used": None}
