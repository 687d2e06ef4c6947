"""The sandbox held against reddit.com: the same requests, answers of the recorded shape.

``tests/real_reddit/`` holds response bodies reddit.com really sent (recorded by PRAW's own
integration tests; see its README). Each test here sends the sandbox the request that produced a
recording and compares the answer's *shape* (``tests/reddit_shapes.py``): every key the
recording always has is there, every key it never has is absent, each value has a recorded JSON
type, envelopes and status codes match. Deliberate differences are listed in :data:`OMITTED`
with their reason, and nowhere else.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from bot.sandbox import SandboxServer
from bot.sandbox.praw_site import CREDENTIALS
from bot.sandbox.seed import load_into
from tests.reddit_shapes import absent_keys, profile, recording, shape_problems

#: Where the sandbox deliberately differs from a recording, and why (dotted key paths).
OMITTED: dict[str, str] = {
    "Listing.after": "null on a last page (Reddit's own empty and last pages answer after null, README fact 1)",
    "Listing.geo_filter": "the 2020 recordings of /api/info and thread replies predate the key; 2025-2026 pages have it",
    "t3.link_flair_template_id": "only on posts with a flair template; sandbox posts have no flair",
    "thread_t1.approved": "moderator-only field: the 2020 thread was recorded as the subreddit's moderator",
    "thread_t1.spam": "moderator-only field (as above)",
    "thread_t1.removed": "moderator-only field (as above)",
    "thread_t1.ignore_reports": "moderator-only field (as above)",
    "new_t1.approved": "moderator-only field: the 2020 comment was made by the subreddit's moderator",
    "new_t1.spam": "moderator-only field (as above)",
    "new_t1.removed": "moderator-only field (as above)",
    "new_t1.ignore_reports": "moderator-only field (as above)",
    "new_t1.collapsed_reason": "the recorded new comment happened to be collapsed (score threshold); null otherwise",
    "new_t1.num_reports": "moderator view (an int); null for everyone else, as in the 2026 listings",
    "new_t1.report_reasons": "moderator view (a list); null for everyone else, as in the 2026 listings",
    "thread_t1.replies": "each reply is walked and compared as a comment of its own",
    "new_t1.rte_mode": "echoes the editor the comment was written in; PRAW never reads it",
    "new_t1.depth": "the sandbox answers a new comment in its thread shape (depth 0), as in 2026 threads",
    "me.features": "the account's feature flags: a dict whose keys change weekly; the sandbox sends {}",
    "me.subreddit": "the profile's own subreddit: a dict, sent empty",
    "t2.subreddit": "the profile's own subreddit: a dict, sent empty",
}
#: Keys a 2026 recording has that the older recordings of the same thing predate: allowed there.
NEWER_T1_KEYS = ("author_is_blocked", "collapsed_reason_code", "comment_type", "unrepliable_reason")


@dataclass
class Client:
    """Raw HTTP to the sandbox as PRAW sends it (bearer token, ``raw_json=1``), keeping the status."""

    url: str
    token: str

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        params = {"raw_json": 1, **kwargs.pop("params", {})}
        return requests.request(method, f"{self.url}{path}", params=params, headers={"Authorization": f"bearer {self.token}"},
                                timeout=10, **kwargs)

    def json(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        response = self.call(method, path, **kwargs)
        assert response.status_code == status, (path, response.status_code, response.text[:300])
        return response.json()


def token_answer(sandbox: SandboxServer) -> requests.Response:
    return requests.post(f"{sandbox.url}/api/v1/access_token", auth=(CREDENTIALS["client_id"], CREDENTIALS["client_secret"]),
                         data={"grant_type": "password", "username": CREDENTIALS["username"], "password": CREDENTIALS["password"]},
                         timeout=10)


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[SandboxServer, Client]]:
    """The default seed plus a thread with more top-level comments than a page shows."""
    with SandboxServer() as sandbox:
        load_into(sandbox.world, {"comments": [
            {"id": f"cmt{n:03d}", "post": "sepia1", "author": "sandbox_user", "body": f"comment {n}", "score": 10 - n} for n in range(4)
        ] + [{"id": "cmt100", "post": "sepia1", "parent": "t1_cmt000", "author": "grandkid_1987", "body": "a reply"}]})
        yield sandbox, Client(sandbox.url, token_answer(sandbox).json()["access_token"])


def things(listing: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [child["data"] for child in listing["data"]["children"] if child["kind"] == kind]


def post_kind(post: dict[str, Any]) -> str:
    if "crosspost_parent" in post:
        return "crosspost"
    if post.get("is_gallery"):
        return "gallery"
    if post.get("is_video"):
        return "video"
    if post.get("post_hint") == "image":
        return "image"
    return "self" if post.get("is_self") else "link"


def envelope(listing: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in listing["data"].items() if k != "children"}


def assert_shape(recorded: list[dict[str, Any]], answered: list[dict[str, Any]], where: str,
                 omitted: dict[str, str] | None = None) -> None:
    problems = shape_problems(recorded, answered, where, omitted={**OMITTED, **(omitted or {})})
    assert not problems, "\n".join(problems)


# -- listings of posts ------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["image", "gallery", "video", "self", "link"])  # NSFW, deleted and fresh galleries: below
def test_subreddit_listing_posts_have_the_2026_page_shape(world: tuple[SandboxServer, Client], kind: str) -> None:
    sandbox, client = world
    page = client.json("GET", "/r/OldSchoolCool+Colorization+ColorizationRequests/new", params={"limit": 100})
    recorded = [p for p in things(recording("listing_r_popular_hot_2026.json"), "t3") if post_kind(p) == kind]
    answered = [p for p in things(page, "t3") if post_kind(p) == kind and p["author"] != "[deleted]" and not p["over_18"]
                and all(m.get("status") == "valid" for m in p.get("media_metadata", {}).values())]
    assert_shape(recorded, answered, "t3")


def test_listing_envelope_is_reddits(world: tuple[SandboxServer, Client]) -> None:
    _, client = world
    page = client.json("GET", "/r/OldSchoolCool/new", params={"limit": 100})
    assert_shape([envelope(recording("listing_r_popular_hot_2026.json"))], [envelope(page)], "Listing")
    assert page["kind"] == "Listing" and page["data"]["dist"] == len(page["data"]["children"])
    assert list(page["data"]) == list(recording("listing_r_popular_hot_2026.json")["data"])  # the same key order too


def test_crossposts_carry_the_parent_like_reddit(world: tuple[SandboxServer, Client]) -> None:
    _, client = world
    page = client.json("GET", "/r/OldSchoolCool+Colorization+ColorizationRequests/new", params={"limit": 100})
    recorded = [p for p in things(recording("user_overview_2026.json"), "t3") if "crosspost_parent" in p]
    recorded += [p for p in things(recording("listing_r_all_new_2021.json"), "t3") if "crosspost_parent" in p]
    answered = [p for p in things(page, "t3") if "crosspost_parent" in p]
    blur = "the only recorded crosspost with a preview is NSFW; blurred variants are checked on NSFW posts below"
    assert_shape(recorded, answered, "t3", {"t3.preview.images.variants": blur, "t3.crosspost_parent_list.preview.images.variants": blur})
    assert all(p["crosspost_parent"] == p["crosspost_parent_list"][0]["name"] for p in answered)


def test_nsfw_and_spoiler_previews_add_blurred_variants(world: tuple[SandboxServer, Client]) -> None:
    _, client = world
    page = client.json("GET", "/r/OldSchoolCool+Colorization+ColorizationRequests/new", params={"limit": 100})
    recorded = [p["preview"] for p in things(recording("listing_r_all_new_2021.json"), "t3") if p["over_18"] and "preview" in p]
    answered = [p["preview"] for p in things(page, "t3") if p["over_18"] and "preview" in p]
    assert_shape(recorded, answered, "preview")
    spoiler = [p for p in things(recording("listing_r_popular_hot_2026.json"), "t3") if p["spoiler"] and "preview" in p]
    assert spoiler and all("obfuscated" in p["preview"]["images"][0]["variants"] for p in spoiler)


def test_a_gallery_still_processing_has_bare_unprocessed_media(world: tuple[SandboxServer, Client]) -> None:
    _, client = world
    (fresh,) = client.json("GET", "/api/info", params={"id": "t3_gal002"})["data"]["children"]
    (recorded,) = things(recording("comments_gallery_post_fresh_2025.json")[0], "t3")
    unprocessed = [m for m in fresh["data"]["media_metadata"].values() if m["status"] == "unprocessed"]
    assert unprocessed and all(m == {"status": "unprocessed"} for m in unprocessed)
    assert set(recorded["media_metadata"].values().__iter__().__next__()) == {"status"}
    assert fresh["data"]["thumbnail"] == recorded["thumbnail"] == "default"


def test_a_deleted_post_lacks_the_author_keys_reddit_leaves_out(world: tuple[SandboxServer, Client]) -> None:
    _, client = world
    info = recording("info_by_url_removed_and_deleted_2020.json")
    live = [p for p in things(info, "t3") if p["author"] != "[deleted]"]
    (gone,) = [p for p in things(info, "t3") if p["author"] == "[deleted]"]
    (deleted,) = things(client.json("GET", "/api/info", params={"id": "t3_del001"}), "t3")
    missing = absent_keys(live, gone)
    assert missing >= {"author_fullname", "author_premium"}
    assert not missing & set(deleted), sorted(missing & set(deleted))
    assert deleted["author"] == "[deleted]" and isinstance(deleted["removed_by_category"], str)


def test_api_info_is_a_listing_of_things(world: tuple[SandboxServer, Client]) -> None:
    _, client = world
    answer = client.json("GET", "/api/info", params={"id": "t3_gray01,t3_sepia1"})
    assert_shape([envelope(recording("info_by_url_removed_and_deleted_2020.json"))], [envelope(answer)], "Listing")
    assert [c["kind"] for c in answer["data"]["children"]] == ["t3", "t3"]


# -- threads, comments, more ------------------------------------------------------------------
def recorded_thread_comments() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(listing: Any) -> None:
        for child in listing["data"]["children"]:
            if child["kind"] == "t1":
                found.append(child["data"])
                if child["data"]["replies"]:
                    walk(child["data"]["replies"])

    for name in ("comments_deleted_removed_collapsed_2020.json", "comments_with_more_2020.json", "comments_continue_this_thread_2020.json"):
        walk(recording(name)[1])
    return [c for c in found if c["author"] != "[deleted]"]


def test_a_thread_page_is_two_listings_with_comments_and_a_more_stub(world: tuple[SandboxServer, Client]) -> None:
    _, client = world
    post, comments = client.json("GET", "/comments/sepia1", params={"limit": 2, "sort": "confidence"})
    rec_post, rec_comments = recording("comments_with_more_2020.json")
    assert (post["data"]["dist"], comments["data"]["dist"]) == (rec_post["data"]["dist"], rec_comments["data"]["dist"]) == (1, None)
    newer = {f"thread_t1.{k}": "a 2026 field (user_overview_2026.json has it on every comment)" for k in NEWER_T1_KEYS}
    answered = things(comments, "t1")
    assert_shape(recorded_thread_comments(), answered + [r["data"] for c in answered if c["replies"] for r in c["replies"]["data"]["children"]],
                 "thread_t1", newer)
    replies = [c["replies"] for c in answered if c["replies"]]
    assert replies and all(r["kind"] == "Listing" and r["data"]["dist"] is None for r in replies)
    assert all(c["replies"] == "" for c in answered if not c["replies"])
    rec_more = [c["data"] for c in rec_comments["data"]["children"] if c["kind"] == "more"]
    (more,) = [c["data"] for c in comments["data"]["children"] if c["kind"] == "more"]
    assert comments["data"]["children"][-1]["kind"] == "more"  # always last, as Reddit puts it
    assert_shape(rec_more, [more], "more")
    assert more["id"] == more["children"][0] and more["name"] == f"t1_{more['id']}"


def test_morechildren_answers_a_flat_list_in_the_json_envelope(world: tuple[SandboxServer, Client]) -> None:
    _, client = world
    answer = client.json("POST", "/api/morechildren", data={"api_type": "json", "link_id": "t3_sepia1", "children": "cmt002,cmt003",
                                                            "sort": "confidence"})
    recorded = recording("morechildren_2020.json")
    assert set(answer) == set(recorded) == {"json"} and set(answer["json"]) == set(recorded["json"])
    assert answer["json"]["errors"] == [] and [t["kind"] for t in answer["json"]["data"]["things"]] == ["t1", "t1"]
    assert all(t["data"]["replies"] == "" for t in answer["json"]["data"]["things"])


def test_user_comments_have_the_2026_listing_shape(world: tuple[SandboxServer, Client]) -> None:
    _, client = world
    page = client.json("GET", "/user/sandbox_user/comments", params={"sort": "new", "limit": 100})
    recorded = recording("user_overview_2026.json")
    assert_shape([envelope(recorded)], [envelope(page)], "Listing")
    assert_shape(things(recorded, "t1"), things(page, "t1"), "t1", {"t1.media_metadata": "only on comments with images"})


# -- accounts, subreddits, inbox -----------------------------------------------------------------
def test_me_user_and_subreddit_about(world: tuple[SandboxServer, Client]) -> None:
    _, client = world
    assert_shape([recording("me_2025.json")], [client.json("GET", "/api/v1/me")], "me")
    user = client.json("GET", "/user/sandbox_user/about")
    assert user["kind"] == recording("user_about_2025.json")["kind"] == "t2"
    assert_shape([recording("user_about_2025.json")["data"]], [user["data"]], "t2")
    about = client.json("GET", "/r/OldSchoolCool/about")
    assert about["kind"] == "t5"
    assert_shape([recording("subreddit_about_public_2020.json")["data"]], [about["data"]], "t5")


def test_inbox_messages_and_comment_replies(world: tuple[SandboxServer, Client]) -> None:
    _, client = world
    page = client.json("GET", "/message/inbox", params={"limit": 10})
    recorded = recording("inbox_2025.json")
    assert_shape([envelope(recorded)], [envelope(page)], "Listing")
    assert_shape(things(recorded, "t4"), things(page, "t4"), "t4")
    assert_shape(things(recorded, "t1"), things(page, "t1"), "inbox_t1")


# -- writes ----------------------------------------------------------------------------------
def test_comment_write_answers_the_new_comment_in_the_json_envelope(world: tuple[SandboxServer, Client]) -> None:
    _, client = world
    answer = client.json("POST", "/api/comment", data={"api_type": "json", "text": "Test reply", "thing_id": "t3_gray02"})
    recorded = recording("comment_on_post_2020.json")
    assert set(answer["json"]) == set(recorded["json"]) == {"errors", "data"} and answer["json"]["errors"] == []
    newer = {f"new_t1.{k}": "a 2026 field (user_overview_2026.json has it on every comment)" for k in NEWER_T1_KEYS}
    assert_shape([t["data"] for t in recorded["json"]["data"]["things"]], [t["data"] for t in answer["json"]["data"]["things"]],
                 "new_t1", newer)


def test_small_write_answers(world: tuple[SandboxServer, Client]) -> None:
    _, client = world
    comment = client.json("POST", "/api/comment", data={"api_type": "json", "text": "to delete", "thing_id": "t3_moon01"})
    name = comment["json"]["data"]["things"][0]["data"]["name"]
    assert client.json("POST", "/api/del", data={"id": name}) == recording("del_2020.json") == {}
    assert client.json("POST", "/api/read_message", data={"id": "t4_msg001"}) == recording("read_message_2025.json") == {}
    sent = client.json("POST", "/api/compose", data={"api_type": "json", "subject": "s", "text": "t", "to": "sandbox_user"})
    assert sent == recording("compose_2016.json") == {"json": {"errors": []}}


def test_submit_answers_differ_per_kind_as_on_reddit(world: tuple[SandboxServer, Client]) -> None:
    _, client = world
    link = client.json("POST", "/api/submit", data={"api_type": "json", "kind": "link", "sr": "u_colorbot", "title": "Test Title",
                                                    "url": "https://example.org/x"})
    assert_shape([recording("submit_link_2025.json")["json"]["data"]], [link["json"]["data"]], "submit")
    lease = client.json("POST", "/api/media/asset.json", data={"filepath": "x.png", "mimetype": "image/png"})
    assert_shape([recording("media_asset_lease_2025.json")], [lease], "lease", {"lease.args.fields": "checked below"})
    assert lease["args"]["action"].startswith("//") and {f["name"] for f in lease["args"]["fields"]} >= {"key", "policy"}
    key = next(f["value"] for f in lease["args"]["fields"] if f["name"] == "key")
    assert key == lease["asset"]["asset_id"]  # as Reddit leases it
    fields = {f["name"]: f["value"] for f in lease["args"]["fields"]}
    s3 = requests.post(f"http:{lease['args']['action']}", data=fields,
                       files={"file": ("x.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")}, timeout=10)
    assert s3.status_code == 201 and "<PostResponse><Location>" in s3.text.replace("\n", "")
    assert "<PostResponse>" in recording("s3_upload_response_2025.xml")
    image = client.json("POST", "/api/submit", data={"api_type": "json", "kind": "image", "sr": "u_colorbot", "title": "Image",
                                                     "url": f"http:{lease['args']['action']}/{key}"})
    assert set(image["json"]["data"]) == set(recording("submit_image_2025.json")["json"]["data"])  # no id: PRAW waits on the websocket
    gallery_recorded = recording("submit_gallery_2025.json")["json"]["data"]
    assert str(gallery_recorded["id"]).startswith("t3_")  # the full name in "id" (unlike kind=link)


# -- errors and the token --------------------------------------------------------------------------
def test_error_bodies_and_statuses(world: tuple[SandboxServer, Client]) -> None:
    sandbox, client = world
    assert client.json("GET", "/comments/nothere", status=404) == {"message": "Not Found", "error": 404}
    sandbox.faults.status("/r/OldSchoolCool/about", 403)
    assert client.json("GET", "/r/OldSchoolCool/about", status=403) == recording("forbidden_403_2025.json")
    sandbox.faults.status("/r/OldSchoolCool/about", 500)
    assert client.json("GET", "/r/OldSchoolCool/about", status=500) == recording("server_error_500_2022.json")
    anonymous = requests.get(f"{sandbox.url}/api/v1/me", timeout=10)
    assert anonymous.status_code == 401 and anonymous.json() == {"message": "Unauthorized", "error": 401}
    assert "invalid_token" in anonymous.headers["www-authenticate"]


def test_429_is_the_html_page_with_retry_after(world: tuple[SandboxServer, Client]) -> None:
    sandbox, client = world
    sandbox.faults.too_many_requests("/api/v1/me", 4)
    answer = client.call("GET", "/api/v1/me")
    page = recording("ratelimit_429_2021.html")
    assert answer.status_code == 429 and answer.headers["retry-after"] == "4"
    assert answer.headers["content-type"].startswith("text/html")
    for phrase in ("<title>Too Many Requests</title>", "whoa there, pardner!", "please wait 4 second(s)"):
        assert phrase in page and phrase in answer.text
    assert not any(h.startswith("x-ratelimit") for h in answer.headers)


def test_access_token_and_ratelimit_headers(world: tuple[SandboxServer, Client]) -> None:
    sandbox, client = world
    assert_shape([recording("access_token_2026.json")], [token_answer(sandbox).json()], "token")
    headers = client.call("GET", "/api/v1/me").headers
    assert headers["x-ratelimit-remaining"].endswith(".0") and headers["x-ratelimit-used"].isdigit()
    assert headers["x-ratelimit-reset"].isdigit() and int(headers["x-ratelimit-reset"]) <= 600


# -- the check itself ------------------------------------------------------------------------------
def test_the_shape_check_fails_when_a_key_is_dropped_or_retyped(world: tuple[SandboxServer, Client]) -> None:
    _, client = world
    recorded = [p for p in things(recording("listing_r_popular_hot_2026.json"), "t3") if post_kind(p) == "image"]
    (post,) = things(client.json("GET", "/api/info", params={"id": "t3_gray01"}), "t3")
    assert not shape_problems(recorded, [post], "t3", omitted=OMITTED)
    dropped = {k: v for k, v in post.items() if k != "removed_by_category"}
    assert shape_problems(recorded, [dropped], "t3") == ["t3.removed_by_category: missing (always in the recording, types ['null'])"]
    retyped = {**post, "created_utc": int(post["created_utc"])}
    assert shape_problems(recorded, [retyped], "t3") == ["t3.created_utc: type ['int'] where the recording has ['float']"]
    nested = json.loads(json.dumps(post))
    del nested["preview"]["images"][0]["source"]["width"]
    assert shape_problems(recorded, [nested], "t3") == ["t3.preview.images.source.width: missing (always in the recording, types ['int'])"]
    assert shape_problems(recorded, [{**post, "invented": 1}], "t3") == ["t3.invented: sent, but never in the recording"]


def test_recorded_keys_checked() -> None:
    """How much the recordings pin (for the closing note): keys per kind of thing."""
    _, keys = profile(things(recording("listing_r_popular_hot_2026.json"), "t3"))
    assert len(keys) >= 100
