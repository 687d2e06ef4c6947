"""bot.reply_text: the reply Markdown, its links and its escaping."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from bot.config import DEFAULT_REPLY_TEMPLATE
from bot.reply_text import (DEFAULT_TEMPLATE, ReplyContext, compose_url, delete_url, escape_markdown, markdown_url,
                            opt_out_url, render_reply, template_fields)

CONTEXT = ReplyContext(bot_name="colorbot", comparison_url="https://i.redd.it/cmp123.jpg", colorized_url="https://i.redd.it/col123.jpg",
                       post_id="1h2abcd", author="grandkid_1987", title="My grandfather, 1952",
                       subreddit="OldSchoolCool", permalink="/r/OldSchoolCool/comments/1h2abcd/my_grandfather_1952/")


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_default_reply_renders_exactly() -> None:
    expected = (
        "Here is an automatically colorized version of this photo: [side-by-side comparison](https://i.redd.it/cmp123.jpg).\n\n"
        "*The colors are a neural network's guesses, not a record of the real colors.*\n\n"
        "^(grandkid\\_1987: you can [delete this reply](https://www.reddit.com/message/compose/?to=colorbot&subject=delete"
        "&message=delete%20t3_1h2abcd).)\n\n"
        "---\n"
        "^(I'm a bot | [opt out](https://www.reddit.com/message/compose/?to=colorbot&subject=opt%20out&message="
        "Please%20stop%20replying%20to%20my%20posts.%20%28Just%20send%20this%20message.%29) | "
        "[feedback](https://www.reddit.com/message/compose/?to=colorbot&subject=feedback&message=About%20the%20reply%20on%20"
        "https%3A%2F%2Fwww.reddit.com%2Fr%2FOldSchoolCool%2Fcomments%2F1h2abcd%2Fmy_grandfather_1952%2F%20%3A%0A%0A) | "
        "[source](https://github.com/colorbot/colorbot))\n"
    )
    assert render_reply(CONTEXT) == expected


def test_compose_links_carry_what_the_inbox_handler_needs() -> None:
    assert opt_out_url("colorbot").startswith("https://www.reddit.com/message/compose/?to=colorbot&subject=opt%20out&message=")
    assert query(opt_out_url("colorbot"))["subject"] == "opt out"
    assert query(delete_url("colorbot", "1h2abcd")) == {"to": "colorbot", "subject": "delete", "message": "delete t3_1h2abcd"}
    assert query(compose_url("/r/colorbot", "a&b=c", "x y")) == {"to": "/r/colorbot", "subject": "a&b=c", "message": "x y"}
    assert "(" not in opt_out_url("colorbot") and " " not in opt_out_url("colorbot")


def test_titles_and_usernames_are_escaped() -> None:
    hostile = ReplyContext(**{**CONTEXT.__dict__, "title": "[free gold](https://evil.example) *now* ^hi u/bystander & r/all\n# head",
                              "author": "some_user"})
    text = render_reply(hostile, "{title} by {author}: [see]({comparison_url}) {delete_url}")
    assert text.startswith("\\[free gold\\]\\(https://evil.example\\) \\*now\\* \\^hi u\\/bystander &amp; r\\/all \\# head by some\\_user:")
    assert "](https://evil" not in text and "\n" not in text


def test_escape_markdown_leaves_plain_text_alone() -> None:
    assert escape_markdown("Grandma's cat, 1940s. Nice!") == "Grandma's cat, 1940s. Nice!"
    assert escape_markdown("menu/user/ok") == "menu/user/ok"  # only a real u/ or r/ mention is defused


def test_urls_are_made_safe_for_markdown_links() -> None:
    assert markdown_url("https://x.org/a b(1).jpg") == "https://x.org/a%20b%281%29.jpg"
    assert markdown_url("file:///tmp/out box/p.jpg") == "file:///tmp/out%20box/p.jpg"
    for bad in ("javascript:alert(1)", "/relative/path", "data:image/png;base64,AA"):
        with pytest.raises(ValueError):
            markdown_url(bad)
    with pytest.raises(ValueError):
        render_reply(ReplyContext(**{**CONTEXT.__dict__, "comparison_url": "javascript:alert(1)"}))


def test_the_settings_template_renders_and_gets_the_delete_line() -> None:
    text = render_reply(CONTEXT, DEFAULT_REPLY_TEMPLATE)
    body, footer = text.split("\n---\n")
    assert "[side-by-side comparison](https://i.redd.it/cmp123.jpg)" in body
    assert body.rstrip().endswith("delete%20t3_1h2abcd).)") and "delete this reply" not in footer
    assert "opt%20out" in footer and "(https://github.com/colorbot/colorbot)" in footer
    assert render_reply(CONTEXT, "Look: {comparison_url}").endswith("\n\n^(grandkid\\_1987: you can [delete this reply]("
                                                                   + delete_url("colorbot", "1h2abcd") + ").)\n")


def test_missing_values_fall_back_sensibly() -> None:
    plain = ReplyContext(bot_name="colorbot", comparison_url="file:///tmp/outbox/abc.jpg", post_id="1h2abcd")
    text = render_reply(plain)
    assert "colorized only" not in text  # the bot hosts one image: no second link to the same file
    assert render_reply(plain, "{colorized_url}").startswith("file:///tmp/outbox/abc.jpg")  # a custom template falls back
    assert text.count("^(OP: you can") == 1
    assert "https%3A%2F%2Fwww.reddit.com%2Fcomments%2F1h2abcd%2F" in text


@pytest.mark.parametrize("template", ["{nope}", "{title.__class__}", "{title!r}", "{title:>300}", "{", "{0}"])
def test_bad_templates_are_refused(template: str) -> None:
    with pytest.raises(ValueError, match="reply template"):
        render_reply(CONTEXT, template)


def test_known_placeholders_cover_the_settings_and_the_default_template() -> None:
    assert template_fields(DEFAULT_TEMPLATE) >= {"comparison_url", "opt_out_url", "feedback_url", "source_url", "delete_url"}
    assert template_fields(DEFAULT_REPLY_TEMPLATE) <= template_fields(DEFAULT_TEMPLATE) | {"colorized_url"}


def test_overlong_replies_are_refused() -> None:
    with pytest.raises(ValueError, match="10000"):
        render_reply(CONTEXT, "{title}" * 600)
