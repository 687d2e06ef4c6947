"""The bot's ingest decisions on ~300 posts reddit.com really served (``tests/real_reddit/``), through PRAW's objects.

Every post gets a decision without an exception, and the decisions are right for each kind that
real pages hold: galleries in ``gallery_data.items`` order, ``AnimatedImage`` items, crossposts of
self posts (relative ``url``), removed and deleted posts (no ``author_fullname``), spoilers, ``.gif``
posts, videos whose ``media`` is null, fresh 2021 galleries (``gallery_data`` null, ``failed``
items) and originals over the pixel limit (answered from Reddit's largest rendition under it).
"""

from __future__ import annotations

import copy
from typing import Any

import praw
import pytest

from bot.ingest import IngestOptions, PostPlan, plan_post
from tests.reddit_shapes import recording

LISTINGS = ("listing_r_popular_hot_2026.json", "listing_r_all_new_2021.json", "info_by_url_removed_and_deleted_2020.json",
            "user_overview_2026.json")
OPTIONS = IngestOptions(max_pixels=50_000_000)


@pytest.fixture(scope="module")
def reddit() -> praw.Reddit:
    """A PRAW client that never connects: only its objectifier is used."""
    return praw.Reddit(client_id="offline", client_secret="offline", user_agent="colorbot tests", check_for_updates=False)


def submissions(reddit: praw.Reddit, name: str) -> list[Any]:
    listing = reddit._objector.objectify(data=recording(name))
    return [thing for thing in listing if isinstance(thing, praw.models.Submission)]


def raw(name: str, index: int) -> dict[str, Any]:
    return copy.deepcopy(recording(name)["data"]["children"][index]["data"])


def test_every_recorded_post_gets_a_decision(reddit: praw.Reddit) -> None:
    plans = [plan_post(post, OPTIONS) for name in LISTINGS for post in submissions(reddit, name)]
    assert len(plans) >= 300
    assert all(plan.decision in {"queue", "skip", "retry_later"} and plan.reason for plan in plans)
    assert {plan.decision for plan in plans} == {"queue", "skip", "retry_later"}


def by_id(reddit: praw.Reddit, name: str) -> dict[str, tuple[Any, PostPlan]]:
    return {post.id: (post, plan_post(post, OPTIONS)) for post in submissions(reddit, name)}


def test_decisions_on_the_2026_page(reddit: praw.Reddit) -> None:
    for post, plan in by_id(reddit, "listing_r_popular_hot_2026.json").values():
        data = vars(post)
        if data.get("locked"):
            assert plan.decision == "skip" and "locked" in plan.reason
        elif data.get("spoiler"):
            assert plan.decision == "skip" and "spoiler" in plan.reason
        elif data.get("is_video"):
            assert plan.decision == "skip" and "video" in plan.reason
        elif data.get("is_self"):
            assert plan.decision == "skip" and "self" in plan.reason
        elif data["url"].endswith(".gif"):
            assert plan.decision == "skip" and "animated" in plan.reason
        elif data.get("post_hint") == "image":
            assert plan.decision == "queue" and len(plan.images) == 1, plan.reason
        elif data.get("is_gallery"):
            assert plan.decision == "queue", plan.reason
            order = [item["media_id"] for item in data["gallery_data"]["items"]]
            fetched = [next(m for m in order if m in image.url) for image in plan.images]
            assert fetched == [order[image.index] for image in plan.images]  # each URL is its item's, in item order
            assert [image.index for image in plan.images] == sorted(image.index for image in plan.images)
        else:
            assert plan.decision == "skip" and "not an image post" in plan.reason


def test_gallery_order_is_the_items_order_not_the_metadata_order(reddit: praw.Reddit) -> None:
    galleries = [p for p, _ in by_id(reddit, "listing_r_popular_hot_2026.json").values() if vars(p).get("is_gallery")]
    shuffled = [g for g in galleries if [i["media_id"] for i in g.gallery_data["items"]] != list(g.media_metadata)]
    assert shuffled, "the recording has galleries whose media_metadata order differs"
    for gallery in shuffled:
        plan = plan_post(gallery, OPTIONS)
        assert gallery.gallery_data["items"][0]["media_id"] in plan.images[0].url


def test_an_original_over_the_pixel_limit_is_answered_from_the_largest_rendition_under_it(reddit: praw.Reddit) -> None:
    posts = by_id(reddit, "listing_r_popular_hot_2026.json")
    gallery = raw("listing_r_popular_hot_2026.json", 47)  # items of 9180 x 9402 (86 MP)
    plan = plan_post(gallery, OPTIONS)
    assert plan.decision == "queue" and "86 MP" in plan.reason and "rendition" in plan.reason
    big = [m for m in gallery["media_metadata"].values() if m["s"]["x"] * m["s"]["y"] > OPTIONS.max_pixels]
    for image in plan.images:
        item = gallery["gallery_data"]["items"][image.index]["media_id"]
        meta = gallery["media_metadata"][item]
        if meta in big:
            best = max((r for r in meta["p"]), key=lambda r: r["x"] * r["y"])
            assert image.url == best["u"] and image.url.startswith("https://preview.redd.it/")
        else:
            assert image.url == f"https://i.redd.it/{item}.jpg"
    png = posts[raw("listing_r_popular_hot_2026.json", 11)["id"]][1]  # 6144 x 3426: 21 MP, under the limit
    assert png.decision == "queue" and png.images[0].url.endswith(".png")
    strict = plan_post(raw("listing_r_popular_hot_2026.json", 11), IngestOptions(max_pixels=2_000_000))
    source = raw("listing_r_popular_hot_2026.json", 11)["preview"]["images"][0]
    fitting = [r for r in source["resolutions"] if r["width"] * r["height"] <= 2_000_000]
    assert strict.decision == "queue" and strict.images[0].url == max(fitting, key=lambda r: r["width"])["url"]


def test_animated_gallery_items_are_left_out(reddit: praw.Reddit) -> None:
    gallery = raw("listing_r_popular_hot_2026.json", 7)
    first = gallery["gallery_data"]["items"][0]["media_id"]
    meta = gallery["media_metadata"][first]
    meta.update(e="AnimatedImage", m="image/gif", s={"y": 480, "x": 480, "gif": "https://i.redd.it/x.gif", "mp4": "https://i.redd.it/x.mp4"})
    plan = plan_post(gallery, OPTIONS)
    assert plan.decision == "queue" and all(first not in image.url for image in plan.images)
    assert plan.images[0].index == 1


def test_fresh_2021_galleries(reddit: praw.Reddit) -> None:
    posts = by_id(reddit, "listing_r_all_new_2021.json")
    for index in (29, 41, 49, 60, 83, 93):
        data = raw("listing_r_all_new_2021.json", index)
        _, plan = posts[data["id"]]
        if data.get("over_18"):
            assert plan.decision == "skip" and "NSFW" in plan.reason
        elif data.get("gallery_data") is None:  # caught right after posting: read again later
            assert plan.decision == "retry_later", plan.reason
        else:  # "failed" items never recover: the gallery is answered from the items that did
            valid = [i for i in data["gallery_data"]["items"] if data["media_metadata"][i["media_id"]]["status"] == "valid"]
            assert plan.decision == "queue" and len(plan.images) == len(valid) and "failed" in plan.reason


def test_removed_deleted_and_crossposted_self_posts(reddit: praw.Reddit) -> None:
    for post, plan in by_id(reddit, "info_by_url_removed_and_deleted_2020.json").values():
        data = vars(post)
        if data["author"] is None or str(data["author"]) == "[deleted]":
            assert "author_fullname" not in data and plan.decision == "skip"
        if data.get("removed_by_category"):
            assert plan.decision == "skip" and ("removed" in plan.reason or "NSFW" in plan.reason)
    crossposts = [(p, plan) for p, plan in by_id(reddit, "user_overview_2026.json").values() if vars(p).get("crosspost_parent")]
    assert crossposts
    for post, plan in crossposts:
        assert post.url.startswith("/r/")  # a crosspost of a self post points at the parent's relative permalink
        assert plan.decision == "skip" and plan.reason.startswith("crosspost of t3_") and "self" in plan.reason


def test_a_video_whose_media_is_still_null_is_no_photo(reddit: praw.Reddit) -> None:
    (post,) = [t for t in reddit._objector.objectify(data=recording("comments_video_post_unprocessed_2025.json")[0])]
    assert vars(post)["media"] is None and vars(post)["is_video"]
    plan = plan_post(post, OPTIONS)
    assert plan.decision == "skip" and "video" in plan.reason
