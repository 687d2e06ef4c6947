"""bot.ingest: listing items (real PRAW Submissions, no network) → plans → queue jobs."""

from __future__ import annotations

import copy
import logging
from typing import Any

import praw
import prawcore
import pytest
import requests
from praw.models import Submission

from bot.ingest import IngestOptions, ImageRef, plan_jobs, plan_post, posts_since
from db import NewJob


class NoNetwork(requests.Session):
    """A session for PRAW that counts requests and refuses them: ingest must never fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        self.calls.append(f"{method} {url}")
        raise AssertionError(f"unexpected HTTP request: {method} {url}")


@pytest.fixture
def session() -> NoNetwork:
    return NoNetwork()


@pytest.fixture
def reddit(session: NoNetwork) -> praw.Reddit:
    return praw.Reddit(client_id="x", client_secret="x", user_agent="test", check_for_updates=False,
                       requestor_kwargs={"session": session})


def link_data(post_id: str = "1h2abcd", **changes: Any) -> dict[str, Any]:
    """A ``t3`` listing ``data`` object as /r/{sub}/new returns it (raw_json=1) for an i.redd.it image."""
    data: dict[str, Any] = {
        "approved_at_utc": None, "subreddit": "OldSchoolCool", "selftext": "", "author_fullname": "t2_8x1k2",
        "saved": False, "gilded": 0, "clicked": False, "title": "My grandfather with his camera, 1952",
        "subreddit_name_prefixed": "r/OldSchoolCool", "hidden": False, "pwls": 6, "link_flair_css_class": None,
        "downs": 0, "thumbnail_height": 140, "hide_score": True, "name": f"t3_{post_id}", "quarantine": False,
        "upvote_ratio": 1.0, "ups": 1, "domain": "i.redd.it", "media_embed": {}, "thumbnail_width": 140,
        "is_original_content": False, "secure_media": None, "is_reddit_media_domain": True, "is_meta": False,
        "category": None, "secure_media_embed": {}, "score": 1, "is_self": False, "created": 1732600000.0,
        "thumbnail": "https://b.thumbs.redditmedia.com/abc.jpg", "edited": False, "post_hint": "image",
        "content_categories": None, "over_18": False, "spoiler": False, "locked": False, "archived": False,
        "url_overridden_by_dest": f"https://i.redd.it/{post_id}x9.jpeg", "url": f"https://i.redd.it/{post_id}x9.jpeg",
        "preview": {"images": [{"source": {"url": f"https://preview.redd.it/{post_id}x9.jpeg?auto=webp&s=1f2e", "width": 1200,
                                           "height": 800}, "resolutions": [], "variants": {}, "id": "aBcD"}], "enabled": True},
        "removed_by_category": None, "author": "grandkid_1987", "num_comments": 0, "permalink":
        f"/r/OldSchoolCool/comments/{post_id}/my_grandfather_with_his_camera_1952/", "stickied": False,
        "subreddit_id": "t5_2tycb", "id": post_id, "is_video": False, "media": None, "created_utc": 1732600000.0,
        "distinguished": None, "send_replies": True, "num_crossposts": 0, "author_flair_text": None,
    }
    data.update(changes)
    return data


def gallery_data(post_id: str = "1h2gal1", **changes: Any) -> dict[str, Any]:
    """A gallery post: ``url`` is the gallery page; images live in ``media_metadata`` keyed by media id."""
    data = link_data(post_id, domain="reddit.com", url=f"https://www.reddit.com/gallery/{post_id}",
                     url_overridden_by_dest=f"https://www.reddit.com/gallery/{post_id}", is_gallery=True,
                     thumbnail="https://b.thumbs.redditmedia.com/gal.jpg")
    for key in ("post_hint", "preview"):
        data.pop(key)
    data["gallery_data"] = {"items": [{"media_id": "zz2second", "id": 401}, {"media_id": "aa1first0", "id": 402, "caption": "colour"}]}
    data["media_metadata"] = {
        "aa1first0": {"status": "valid", "e": "Image", "m": "image/png", "p": [],
                      "s": {"y": 600, "x": 900, "u": "https://preview.redd.it/aa1first0.png?width=900&format=png&auto=webp&s=9"},
                      "id": "aa1first0"},
        "zz2second": {"status": "valid", "e": "Image", "m": "image/jpg", "p": [],
                      "s": {"y": 800, "x": 1200, "u": "https://preview.redd.it/zz2second.jpg?width=1200&format=pjpg&auto=webp&s=8"},
                      "id": "zz2second"},
    }
    data.update(changes)
    return data


def make(reddit: praw.Reddit, data: dict[str, Any]) -> Submission:
    return Submission(reddit, _data=copy.deepcopy(data))


def test_a_missing_optional_field_read_with_getattr_would_fetch(reddit: praw.Reddit, session: NoNetwork) -> None:
    """Why the no-fetch rule matters: PRAW fetches the post on a missing attribute."""
    data = link_data()
    del data["post_hint"]
    submission = make(reddit, data)
    with pytest.raises(prawcore.exceptions.RequestException, match="unexpected HTTP request"):
        getattr(submission, "post_hint", None)
    assert session.calls


@pytest.mark.parametrize("data", [
    link_data(), gallery_data(), link_data(is_self=True, post_hint="self"), link_data(post_hint=None),
    {k: v for k, v in link_data().items() if k not in {"post_hint", "preview", "removed_by_category", "url_overridden_by_dest"}},
    {k: v for k, v in gallery_data().items() if k not in {"gallery_data", "media_metadata"}},
])
def test_planning_never_fetches(reddit: praw.Reddit, session: NoNetwork, data: dict[str, Any]) -> None:
    submission = make(reddit, data)
    plan_post(submission)
    plan_jobs(plan_post(submission))
    posts_since([submission], None)
    assert session.calls == []
    assert submission._fetched is False


def test_image_post_is_queued_as_one_job(reddit: praw.Reddit, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="bot.ingest"):
        plan = plan_post(make(reddit, link_data("1h2abcd")))
    assert (plan.decision, plan.post_id, plan.subreddit, plan.author) == ("queue", "1h2abcd", "OldSchoolCool", "grandkid_1987")
    assert plan.images == [ImageRef("https://i.redd.it/1h2abcdx9.jpeg", 0)]
    assert "image post" in plan.reason and plan.title.startswith("My grandfather")
    assert plan_jobs(plan) == [NewJob(post_id="1h2abcd", subreddit="OldSchoolCool", permalink=plan.permalink,
                                      image_url="https://i.redd.it/1h2abcdx9.jpeg", author="grandkid_1987", image_index=0)]
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["ingest queue t3_1h2abcd r/OldSchoolCool: " + plan.reason]


@pytest.mark.parametrize("url", ["https://i.imgur.com/Ab12cD3.jpg", "https://preview.redd.it/q1w2e3.png?width=640&auto=webp&s=ab"])
def test_direct_image_hosts_without_post_hint(reddit: praw.Reddit, url: str) -> None:
    data = link_data(url=url, url_overridden_by_dest=url, domain="i.imgur.com")
    del data["post_hint"]
    plan = plan_post(make(reddit, data))
    assert plan.decision == "queue" and plan.images == [ImageRef(url, 0)]


def test_gallery_is_queued_in_gallery_data_order_with_i_redd_it_urls(reddit: praw.Reddit) -> None:
    plan = plan_post(make(reddit, gallery_data()))
    assert plan.decision == "queue"
    assert plan.images == [ImageRef("https://i.redd.it/zz2second.jpg", 0), ImageRef("https://i.redd.it/aa1first0.png", 1)]
    jobs = plan_jobs(plan)
    assert [(j.image_index, j.image_url) for j in jobs] == [(0, "https://i.redd.it/zz2second.jpg"), (1, "https://i.redd.it/aa1first0.png")]
    assert {j.post_id for j in jobs} == {"1h2gal1"}


def test_gallery_skips_animated_items_but_keeps_indices(reddit: praw.Reddit) -> None:
    data = gallery_data()
    data["media_metadata"]["zz2second"].update(e="AnimatedImage", m="image/gif")
    plan = plan_post(make(reddit, data))
    assert plan.images == [ImageRef("https://i.redd.it/aa1first0.png", 1)]


@pytest.mark.parametrize("meta", [{"status": "unprocessed", "id": "zz2second"},
                                  {"status": "valid", "e": "Image", "m": "image/jpg", "id": "zz2second"}])
def test_gallery_with_an_unprocessed_item_is_retried_later(reddit: praw.Reddit, meta: dict[str, Any]) -> None:
    data = gallery_data()
    data["media_metadata"]["zz2second"] = meta
    plan = plan_post(make(reddit, data))
    assert plan.decision == "retry_later" and "processing" in plan.reason and plan.images == []
    assert plan_jobs(plan) == []


def test_gallery_without_metadata_yet_is_retried_later(reddit: praw.Reddit) -> None:
    data = gallery_data(gallery_data=None, media_metadata=None)
    assert plan_post(make(reddit, data)).decision == "retry_later"


def test_crosspost_uses_the_parents_media(reddit: praw.Reddit) -> None:
    parent = link_data("1h0orig")
    data = link_data("1h3xpst", url="/r/OldSchoolCool/comments/1h0orig/x/", url_overridden_by_dest="/r/OldSchoolCool/comments/1h0orig/x/",
                     domain="self.OldSchoolCool", crosspost_parent="t3_1h0orig", crosspost_parent_list=[parent], subreddit="Colorization")
    del data["post_hint"]
    plan = plan_post(make(reddit, data))
    assert plan.decision == "queue" and plan.post_id == "1h3xpst" and plan.subreddit == "Colorization"
    assert plan.images == [ImageRef("https://i.redd.it/1h0origx9.jpeg", 0)]
    assert plan.reason.startswith("crosspost of t3_1h0orig")


def test_crosspost_of_a_gallery_and_of_nsfw_or_removed_originals(reddit: praw.Reddit) -> None:
    gallery = plan_post(make(reddit, link_data("1h3xp2", crosspost_parent_list=[gallery_data()])))
    assert [i.url for i in gallery.images] == ["https://i.redd.it/zz2second.jpg", "https://i.redd.it/aa1first0.png"]
    nsfw = plan_post(make(reddit, link_data("1h3xp3", crosspost_parent_list=[link_data("p1", over_18=True)])))
    removed = plan_post(make(reddit, link_data("1h3xp4", crosspost_parent_list=[link_data("p2", removed_by_category="moderator")])))
    assert (nsfw.decision, removed.decision) == ("skip", "skip")
    assert "NSFW" in nsfw.reason and "removed" in removed.reason


@pytest.mark.parametrize(("changes", "reason"), [
    ({"over_18": True}, "NSFW"),
    ({"removed_by_category": "moderator"}, "removed (moderator)"),
    ({"removed_by_category": "deleted", "author": "[deleted]"}, "removed"),
    ({"author": "[deleted]"}, "deleted"),
    ({"selftext": "[deleted]"}, "deleted"),
    ({"locked": True}, "locked"),
    ({"archived": True}, "archived"),
    ({"is_video": True, "post_hint": "hosted:video", "url": "https://v.redd.it/abc123", "domain": "v.redd.it",
      "media": {"reddit_video": {"fallback_url": "https://v.redd.it/abc123/DASH_720.mp4"}}}, "video"),
    ({"is_self": True, "post_hint": "self", "url": "https://www.reddit.com/r/OldSchoolCool/comments/1h2abcd/x/",
      "selftext": "Can someone colorize this?", "domain": "self.OldSchoolCool"}, "self"),
    ({"post_hint": "link", "url": "https://www.flickr.com/photos/someone/123", "url_overridden_by_dest": "https://www.flickr.com/photos/someone/123"},
     "www.flickr.com"),
    ({"post_hint": "link", "url": "https://imgur.com/a/Xy12", "url_overridden_by_dest": "https://imgur.com/a/Xy12"}, "imgur.com"),
    ({"url": "https://i.imgur.com/Ab12.gifv", "url_overridden_by_dest": "https://i.imgur.com/Ab12.gifv", "post_hint": "link"}, "animated"),
    ({"url": "https://i.redd.it/anim.gif", "url_overridden_by_dest": "https://i.redd.it/anim.gif"}, "animated"),
    ({"url": "https://i.imgur.com/page", "url_overridden_by_dest": "https://i.imgur.com/page", "post_hint": None}, "without an image file"),
    ({"post_hint": "image", "url": "http://169.254.169.254/latest.jpg", "url_overridden_by_dest": None}, "169.254.169.254"),
])
def test_skips_say_why(reddit: praw.Reddit, changes: dict[str, Any], reason: str) -> None:
    plan = plan_post(make(reddit, link_data(**changes)))
    assert plan.decision == "skip" and reason in plan.reason and plan.images == []
    assert plan_jobs(plan) == []


def test_the_bots_own_posts_are_skipped(reddit: praw.Reddit) -> None:
    plan = plan_post(make(reddit, link_data(author="ColorBot")), IngestOptions(bot_username="colorbot"))
    assert plan.decision == "skip" and "own post" in plan.reason


def test_large_galleries_are_capped(reddit: praw.Reddit) -> None:
    data = gallery_data()
    plan = plan_post(make(reddit, data), IngestOptions(max_images=1))
    assert plan.decision == "queue" and len(plan.images) == 1 and "first 1 kept" in plan.reason


def test_sandbox_mirrored_urls_are_judged_by_the_host_they_stand_for(reddit: praw.Reddit) -> None:
    base = "http://127.0.0.1:8765"
    options = IngestOptions(sandbox_base_url=base)
    image = plan_post(make(reddit, link_data(url=f"{base}/i.redd.it/abc.jpg", url_overridden_by_dest=f"{base}/i.redd.it/abc.jpg")), options)
    assert image.images == [ImageRef(f"{base}/i.redd.it/abc.jpg", 0)]
    gallery = plan_post(make(reddit, gallery_data()), options)
    assert gallery.images[0].url == f"{base}/i.redd.it/zz2second.jpg"
    other = plan_post(make(reddit, link_data(url=f"{base}/evil.example/a.jpg", url_overridden_by_dest=f"{base}/evil.example/a.jpg")), options)
    assert other.decision == "skip"


# -- resuming -------------------------------------------------------------------------------------
def test_posts_since_returns_newer_posts_oldest_first(reddit: praw.Reddit) -> None:
    listing = [make(reddit, link_data(i)) for i in ("1h2z09", "1h2z05", "1h2z05", "1h2z03", "1h2z01")]  # newest first, one repeat
    posts, cursor = posts_since(listing, "t3_1h2z03")
    assert [p.id for p in posts] == ["1h2z05", "1h2z09"] and cursor == "t3_1h2z09"
    assert posts_since(listing, "t3_1h2z09") == ([], "t3_1h2z09")


def test_posts_since_follows_listing_order_not_ids(reddit: praw.Reddit) -> None:
    listing = [make(reddit, link_data(i)) for i in ("100002", "gray01", "100001", "moon01")]  # sandbox-style ids
    posts, cursor = posts_since(listing, "t3_100001")
    assert [p.id for p in posts] == ["gray01", "100002"] and cursor == "t3_100002"


def test_posts_since_without_the_cursor_in_the_listing_takes_everything(reddit: praw.Reddit, caplog: pytest.LogCaptureFixture) -> None:
    listing = [make(reddit, link_data(i)) for i in ("1h2z09", "1h2z05", "1h2z01")]
    with caplog.at_level(logging.INFO, logger="bot.ingest"):
        posts, cursor = posts_since(listing, "t3_1h2z04")  # fetched with before=, or that post is gone
    assert [p.id for p in posts] == ["1h2z01", "1h2z05", "1h2z09"] and cursor == "t3_1h2z09"
    assert "not in listing" in caplog.text
    posts, cursor = posts_since(listing, None)
    assert [p.id for p in posts] == ["1h2z01", "1h2z05", "1h2z09"] and cursor == "t3_1h2z09"
    assert posts_since([], None) == ([], None) and posts_since([], "t3_1h2z09") == ([], "t3_1h2z09")


# -- against the sandbox: Reddit's real listing shapes through real PRAW -------------------------------
def test_sandbox_listing_plans_every_seeded_case_without_extra_requests() -> None:
    from bot.sandbox import SandboxServer, reddit_kwargs

    with SandboxServer() as sandbox:
        reddit = praw.Reddit(**reddit_kwargs(sandbox.url, timeout_s=10))
        listing = list(reddit.subreddit("Colorization+OldSchoolCool+ColorizationRequests").new(limit=100))
        requests_before = sum(sandbox.state()["counts"].values())
        posts, cursor = posts_since(listing, None)
        options = IngestOptions(sandbox_base_url=sandbox.url, bot_username="colorbot")
        plans = {plan.post_id: plan for plan in (plan_post(p, options) for p in posts)}
        assert sum(sandbox.state()["counts"].values()) == requests_before  # planning made no request
        assert not any(p._fetched for p in posts)
        decisions = {pid: plan.decision for pid, plan in plans.items()}
        assert {pid for pid, d in decisions.items() if d == "queue"} == {
            "gray01", "moon01", "sepia1", "gray02", "sepia2", "gal001", "ba0001", "color1", "color2", "xpost1", "done01", "miss01"}
        assert decisions["gal002"] == "retry_later"
        for pid in ("nsfw01", "lock01", "del001", "self01", "video1", "link01", "arch01"):
            assert decisions[pid] == "skip", (pid, plans[pid].reason)
        assert [i.index for i in plans["gal001"].images] == [0, 1]
        for plan in (plans["gal001"], plans["xpost1"], plans["sepia2"]):  # every queued URL is really served
            for image in plan.images:
                assert requests.get(image.url, timeout=5).status_code == 200, image.url
        assert cursor == f"t3_{listing[0].id}" and posts[-1].id == listing[0].id and posts[0].id == listing[-1].id
        assert posts_since(listing, cursor) == ([], cursor)
        fragment = {"posts": [{"id": "new001", "subreddit": "Colorization", "title": "Fresh scan", "image": {"photo": "moon", "tone": "sepia"}}]}
        requests.post(f"{sandbox.url}/_sandbox/world", json=fragment, timeout=10).raise_for_status()
        fresh = list(reddit.subreddit("Colorization+OldSchoolCool+ColorizationRequests").new(limit=100))
        newer, cursor = posts_since(fresh, cursor)
        assert [p.id for p in newer] == ["new001"] and cursor == "t3_new001"


def test_plan_jobs_enqueue_once(reddit: praw.Reddit, tmp_path: Any) -> None:
    from db import JobQueue, make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'queue.db'}")
    upgrade(engine)
    queue = JobQueue(engine)
    jobs = plan_jobs(plan_post(make(reddit, gallery_data())))
    assert len(queue.enqueue(jobs)) == 2
    assert queue.enqueue(jobs) == []  # a re-read post is ignored, which is what posts_since relies on
