"""The sandbox through real PRAW over HTTP: what the bot will rely on when it runs against it."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time

import praw
import prawcore
import pytest
import requests
from PIL import Image
from praw.exceptions import RedditAPIException
from praw.models import InlineImage, PostMedia

from bot.sandbox import SandboxServer, reddit_kwargs, unmirror_url
from bot.sandbox.faults import RATELIMIT_MIN_SEC, RATELIMIT_MINUTES
from bot.sandbox.praw_site import praw_ini_section

FEED = "Colorization+OldSchoolCool"


@pytest.fixture
def reddit(sandbox: SandboxServer) -> praw.Reddit:
    return praw.Reddit(**reddit_kwargs(sandbox.url))


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 120, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_authenticates_with_password_and_refresh_grants(reddit: praw.Reddit, sandbox: SandboxServer) -> None:
    assert reddit.user.me().name == "colorbot"
    assert sandbox.state()["counts"]["POST /api/v1/access_token"] == 1
    refreshing = praw.Reddit(**reddit_kwargs(sandbox.url, username=None, password=None, refresh_token="sandbox-refresh-token"))
    assert refreshing.user.me().name == "colorbot"


def test_wrong_password_and_wrong_secret_fail_like_reddit(sandbox: SandboxServer) -> None:
    with pytest.raises(prawcore.OAuthException):
        praw.Reddit(**reddit_kwargs(sandbox.url, password="nope")).user.me()
    with pytest.raises(prawcore.ResponseException):
        praw.Reddit(**reddit_kwargs(sandbox.url, client_secret="nope")).user.me()


def test_praw_ini_site_from_config_home(sandbox: SandboxServer, tmp_path) -> None:  # noqa: ANN001
    """The exact praw.ini section works when PRAW reads it from ``$XDG_CONFIG_HOME/praw.ini``."""
    (tmp_path / "praw.ini").write_text(praw_ini_section(sandbox.url))
    code = "import praw; r = praw.Reddit('colorbot_sandbox'); print(r.user.me().name, r.config.oauth_url)"
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert out.stdout.split() == ["colorbot", sandbox.url], out.stderr


def test_new_listing_pages_newest_first(reddit: praw.Reddit, sandbox: SandboxServer) -> None:
    everything = list(reddit.subreddit(FEED).new(limit=None, request_limit=5))
    created = [p.created_utc for p in everything]
    assert created == sorted(created, reverse=True)
    assert {p.subreddit.display_name for p in everything} == {"Colorization", "OldSchoolCool"}
    assert len({p.id for p in everything}) == len(everything) == 16
    assert sandbox.state()["counts"]["GET /r/{subreddits}/new"] == 4  # 5 + 5 + 5 + 1

    first = reddit.get(f"r/{FEED}/new", params={"limit": 2})
    assert [p.id for p in first] == ["gray01", "moon01"] and first.after == "t3_moon01" and first.before is None
    second = reddit.get(f"r/{FEED}/new", params={"limit": 2, "after": first.after})
    assert [p.id for p in second] == ["sepia1", "sepia2"]
    newer = reddit.get(f"r/{FEED}/new", params={"limit": 1, "before": "t3_sepia1"})
    assert [p.id for p in newer] == ["moon01"] and newer.before == "t3_moon01"  # the one just newer


def test_listing_fields_the_bot_reads(reddit: praw.Reddit, sandbox: SandboxServer) -> None:
    posts = {p.id: p for p in reddit.subreddit(FEED + "+ColorizationRequests").new(limit=None)}
    gray = posts["gray01"]
    assert gray.post_hint == "image" and not gray.is_self and not gray.over_18
    assert unmirror_url(gray.url, sandbox.url).startswith("https://i.redd.it/")
    assert Image.open(io.BytesIO(requests.get(gray.url, timeout=5).content)).mode == "L"
    gallery = posts["gal001"]
    assert gallery.is_gallery and [i["caption"] for i in gallery.gallery_data["items"]] == ["1960s", "today"]
    assert {m["status"] for m in gallery.media_metadata.values()} == {"valid"}
    assert {m["status"] for m in posts["gal002"].media_metadata.values()} == {"valid", "unprocessed"}
    assert posts["xpost1"].crosspost_parent_list[0]["id"] == "gray01"
    assert posts["nsfw01"].over_18 and posts["lock01"].locked and posts["arch01"].archived
    assert posts["del001"].author is None and posts["del001"].removed_by_category == "deleted"
    assert posts["self01"].is_self and posts["video1"].is_video
    assert unmirror_url(posts["sepia2"].url, sandbox.url).startswith("https://i.imgur.com/")


def test_info_is_batched_by_fullname(reddit: praw.Reddit, sandbox: SandboxServer) -> None:
    found = list(reddit.info(fullnames=["t3_moon01", "t3_gray01", "t3_doesnotexist", "t1_cmt001"]))
    assert [thing.id for thing in found] == ["moon01", "gray01", "cmt001"]
    assert sandbox.state()["counts"]["GET /api/info"] == 1


def test_reply_then_see_it_in_the_thread(reddit: praw.Reddit, sandbox: SandboxServer) -> None:
    comment = reddit.submission("gray02").reply("Here it is in colour!")
    assert comment.parent_id == "t3_gray02" and comment.author.name == "colorbot"
    thread = reddit.submission("gray02")
    assert [(c.author.name, c.body) for c in thread.comments] == [("colorbot", "Here it is in colour!")]
    assert [c["id"] for c in sandbox.state()["comments"]] == [comment.id]
    comment.delete()
    assert sandbox.state()["deleted"] == [comment.fullname]
    assert reddit.submission("gray02").comments[0].body == "[deleted]"


def test_already_replied_thread_shows_the_bot(reddit: praw.Reddit) -> None:
    thread = reddit.submission("done01")
    assert thread.comments[0].author.name == "colorbot"
    assert thread.comments[0].replies[0].body == "Thank you, bot!"


@pytest.mark.parametrize(("post", "error"), [("lock01", "THREAD_LOCKED"), ("arch01", "TOO_OLD"), ("del001", "DELETED_LINK")])
def test_reply_refusals_are_api_errors(reddit: praw.Reddit, post: str, error: str) -> None:
    with pytest.raises(RedditAPIException) as raised:
        reddit.submission(post).reply("hello")
    assert raised.value.items[0].error_type == error


def test_image_post_via_media_flow_and_fetch_it_back(reddit: praw.Reddit, sandbox: SandboxServer) -> None:
    data = jpeg_bytes()
    post = reddit.subreddit("u_colorbot").submit("colorized", image=PostMedia(data, name="out.jpg"))
    assert post is not None and post.subreddit.display_name == "u_colorbot"
    assert unmirror_url(post.url, sandbox.url).startswith("https://i.redd.it/")
    assert requests.get(post.url, timeout=5).content == data
    upload = sandbox.state()["uploads"][0]
    assert upload["size"] == len(data) and upload["post_id"] == post.id


def test_inline_image_self_post(reddit: praw.Reddit, sandbox: SandboxServer) -> None:
    media = {"pic": InlineImage(media=PostMedia(jpeg_bytes(), name="pic.jpg"), caption="after")}
    post = reddit.subreddit("u_colorbot").submit("inline", selftext="Before and after {pic}", inline_media=media)
    post = reddit.submission(post.id)
    (entry,) = post.media_metadata.values()
    assert entry["status"] == "valid" and requests.get(entry["s"]["u"], timeout=5).content == jpeg_bytes()


def test_503_then_success_is_retried_by_prawcore(reddit: praw.Reddit, sandbox: SandboxServer) -> None:
    sandbox.faults.status("/r/*/new", 503, times=1)
    assert next(iter(reddit.subreddit(FEED).new(limit=1))).id == "gray01"
    statuses = [e["status"] for e in sandbox.state()["requests"] if e["route"] == "GET /r/{subreddits}/new"]
    assert statuses == [503, 200]


def test_429_is_reddits_html_page_with_retry_after_and_no_ratelimit_headers(reddit: praw.Reddit, sandbox: SandboxServer) -> None:
    reddit.user.me()
    sandbox.faults.too_many_requests("/r/*/new", 7)
    with pytest.raises(prawcore.TooManyRequests) as raised:
        list(reddit.subreddit(FEED).new(limit=1))
    assert raised.value.retry_after == "7"
    response = raised.value.response
    assert response.headers["content-type"].startswith("text/html") and "whoa there, pardner!" in response.text
    assert "please wait 7 second(s)" in response.text
    assert not {"x-ratelimit-remaining", "x-ratelimit-used", "x-ratelimit-reset"} & set(response.headers)  # as recorded


def test_a_spent_window_says_remaining_0_and_answers_429_until_its_reset(reddit: praw.Reddit, sandbox: SandboxServer) -> None:
    import requests as http

    reddit.user.me()
    sandbox.add_fault("exhaust", path="/api/v1/me", reset=2)
    token = {"Authorization": f"bearer {reddit._core._authorizer.access_token}"}
    spent = http.get(f"{sandbox.url}/api/v1/me", headers=token, timeout=5)
    assert spent.status_code == 200 and spent.headers["x-ratelimit-remaining"] == "0.0"
    assert 1 <= int(spent.headers["x-ratelimit-reset"]) <= 2
    refused = http.get(f"{sandbox.url}/api/v1/me", headers=token, timeout=5)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1


@pytest.mark.parametrize("message", [RATELIMIT_MINUTES, RATELIMIT_MIN_SEC])
def test_ratelimit_error_surfaces_as_reddit_api_exception(reddit: praw.Reddit, sandbox: SandboxServer, message: str) -> None:
    sandbox.faults.api_error("/api/comment", "RATELIMIT", message)
    with pytest.raises(RedditAPIException) as raised:
        reddit.submission("gray02").reply("hi")
    item = raised.value.items[0]
    assert (item.error_type, item.message, item.field) == ("RATELIMIT", message, "ratelimit")
    assert sandbox.state()["comments"] == []


def test_a_banned_account_reads_the_subreddit_but_cannot_write_there(reddit: praw.Reddit, sandbox: SandboxServer) -> None:
    banned = reddit.subreddit("BannedHere")
    assert banned.user_is_banned is True and banned.subscribers == 1000  # about is readable, as on Reddit
    assert [p.id for p in banned.new(limit=5)] == ["ban001"]
    with pytest.raises(prawcore.Forbidden):
        reddit.submission("ban001").reply("hi")
    sandbox.add_fault("ban", subreddit="Colorization")  # private: every request about it answers 403
    with pytest.raises(prawcore.Forbidden):
        reddit.submission("moon01").reply("hi")
    assert reddit.subreddit("OldSchoolCool").subscribers == 1000


def test_faults_over_http_delete_between_calls_and_expired_tokens(reddit: praw.Reddit, sandbox: SandboxServer) -> None:
    rules = [{"kind": "delete_post", "path": "/api/comment", "post": "sepia1"}, {"kind": "expire_tokens", "path": "/api/v1/me"}]
    assert requests.post(f"{sandbox.url}/_sandbox/faults", json=rules, timeout=5).status_code == 200
    assert reddit.submission("sepia1").title  # fetched before the deletion
    with pytest.raises(RedditAPIException, match="DELETED_LINK"):
        reddit.submission("sepia1").reply("too late")
    assert reddit.user.me().name == "colorbot"  # 401 invalid_token -> prawcore fetches a new token
    assert sandbox.state()["counts"]["POST /api/v1/access_token"] == 2
    assert json.loads(requests.get(f"{sandbox.url}/_sandbox/faults", timeout=5).text) == []


@pytest.mark.parametrize("kind", ["404", "html", "truncated", "oversized"])
def test_image_faults(reddit: praw.Reddit, sandbox: SandboxServer, kind: str) -> None:
    url = reddit.submission("gray01").url
    sandbox.faults.image("/i.redd.it/*", kind, times=1)
    response = requests.get(url, timeout=10)
    if kind == "404":
        assert response.status_code == 404
    elif kind == "html":
        assert response.headers["content-type"].startswith("text/html")
    elif kind == "truncated":
        with pytest.raises(OSError):
            Image.open(io.BytesIO(response.content)).load()
    else:
        assert int(response.headers["content-length"]) > 20 * 1024 * 1024
    assert requests.get(url, timeout=5).status_code == 200  # one-shot


def test_slow_response_times_out_then_retry_succeeds(sandbox: SandboxServer) -> None:
    reddit = praw.Reddit(**reddit_kwargs(sandbox.url, timeout_s=1))
    reddit.user.me()
    sandbox.faults.slow("/api/info", 1.5)
    assert [p.id for p in reddit.info(fullnames=["t3_moon01"])] == ["moon01"]
    deadline = time.monotonic() + 3  # the slow first answer is logged when its sleep ends
    while sandbox.state()["counts"]["GET /api/info"] < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sandbox.state()["counts"]["GET /api/info"] == 2


def test_inbox_unread_and_mark_read(reddit: praw.Reddit, sandbox: SandboxServer) -> None:
    unread = list(reddit.inbox.unread())
    assert [item.id for item in unread] == ["msg001", "thx001"]
    assert unread[1].was_comment and unread[1].body == "Thank you, bot!"
    reddit.inbox.mark_read(unread)
    assert list(reddit.inbox.unread()) == []
    assert {i.id for i in reddit.inbox.all()} == {"msg001", "msg002", "thx001"}
    reddit.redditor("grandkid_1987").message(subject="Done", message="Colorized!")
    assert sandbox.state()["messages_sent"][0]["dest"] == "grandkid_1987"


def test_content_added_mid_run_shows_up_first(reddit: praw.Reddit, sandbox: SandboxServer) -> None:
    fragment = {"posts": [{"id": "new001", "subreddit": "Colorization", "title": "Fresh scan", "image": {"photo": "moon", "tone": "sepia"}}]}
    assert requests.post(f"{sandbox.url}/_sandbox/world", json=fragment, timeout=10).json()["posts"] == ["new001"]
    newer = reddit.get(f"r/{FEED}/new", params={"before": "t3_gray01"})
    assert [p.id for p in newer] == ["new001"]
