"""The Markdown of the bot's reply: a template with placeholders, filled safely.

Why escaping matters: titles and usernames are written by strangers. Unescaped, a title like
``[free](https://evil)`` becomes a link in the bot's voice, ``*`` or ``^`` reformat the reply,
and ``u/someone`` pings a bystander. URLs are percent-encoded where Markdown would end the
link early (spaces, parentheses, brackets).

Why message-compose links: opting out, deleting and feedback all arrive in the bot's inbox
with a fixed subject, so the inbox handler can act on them without parsing free text.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

COMPOSE_URL = "https://www.reddit.com/message/compose/"
SITE_URL = "https://www.reddit.com"
SOURCE_URL = "https://github.com/colorbot/colorbot"
MAX_COMMENT_CHARS = 10_000  # Reddit refuses longer comments

#: Subjects the inbox handler acts on (its message bodies are described by the URL builders).
OPT_OUT_SUBJECT = "opt out"
DELETE_SUBJECT = "delete"
FEEDBACK_SUBJECT = "feedback"

DELETE_LINE = "^({author}: you can [delete this reply]({delete_url}).)"
DEFAULT_TEMPLATE = f"""\
Here is an automatically colorized version of this photo: [side-by-side comparison]({{comparison_url}}).

*The colors are a neural network's guesses, not a record of the real colors.*

{DELETE_LINE}

---
^(I'm a bot | [opt out]({{opt_out_url}}) | [feedback]({{feedback_url}}) | [source]({{source_url}}))
"""

DEFAULT_VIDEO_TEMPLATE = f"""\
Here is an automatically colorized version of this film clip: [side-by-side video, gray | auto]({{comparison_url}}).

*The colors are a neural network's guesses, frame by frame, not a record of the real colors.*

{DELETE_LINE}

---
^(I'm a bot | [opt out]({{opt_out_url}}) | [feedback]({{feedback_url}}) | [source]({{source_url}}))
"""

#: URL placeholders (percent-encoded for Markdown links) and text placeholders (Markdown-escaped).
URL_PLACEHOLDERS = frozenset({"comparison_url", "colorized_url", "opt_out_url", "feedback_url", "source_url", "delete_url", "post_url"})
TEXT_PLACEHOLDERS = frozenset({"author", "title", "subreddit", "bot_name"})
PLACEHOLDERS = URL_PLACEHOLDERS | TEXT_PLACEHOLDERS

#: Characters that format in Reddit's Markdown (old and new); escaping more would show stray backslashes.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]()#|~^<>])")
_MENTION = re.compile(r"(?<![A-Za-z0-9])([ur])/", re.IGNORECASE)
_URL_UNSAFE = {" ": "%20", "(": "%28", ")": "%29", "[": "%5B", "]": "%5D", "<": "%3C", ">": "%3E", '"': "%22",
               "'": "%27", "\\": "%5C", "`": "%60", "\n": "", "\r": "", "\t": ""}


@dataclass(frozen=True)
class ReplyContext:
    """Everything a reply may mention; ``colorized_url`` None means "same as the comparison"."""

    bot_name: str
    comparison_url: str
    post_id: str
    colorized_url: str | None = None
    author: str | None = None  # None: deleted account
    title: str = ""
    subreddit: str = ""
    permalink: str = ""
    source_url: str = SOURCE_URL
    feedback_to: str | None = None  # who gets feedback; default: the bot's own inbox


def escape_markdown(text: str) -> str:
    """``text`` as literal Markdown: specials backslash-escaped, ``&`` as an entity, mentions defused."""
    text = " ".join(text.split())  # no newlines: a title must not start a heading or a quote
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("&", "&amp;")
    return _MENTION.sub(r"\1\\/", text)  # "u/x" → "u\/x": shown the same, pings nobody


def markdown_url(url: str) -> str:
    """``url`` made safe inside ``[text](url)``; only http(s) and file URLs are accepted."""
    scheme = urlsplit(url.strip()).scheme.lower()
    if scheme not in ("http", "https", "file"):
        raise ValueError(f"not a link the reply may contain: {url[:80]!r}")
    return "".join(_URL_UNSAFE.get(ch, ch) for ch in url.strip())


def compose_url(to: str, subject: str, message: str = "") -> str:
    """A link that opens Reddit's message form, filled in (``to`` a user name or ``/r/sub``)."""
    query = f"to={quote(to, safe='/')}&subject={quote(subject, safe='')}"
    return f"{COMPOSE_URL}?{query}" + (f"&message={quote(message, safe='')}" if message else "")


def opt_out_url(bot_name: str) -> str:
    """Opting out: the sender of a message with this subject is never replied to again."""
    return compose_url(bot_name, OPT_OUT_SUBJECT, "Please stop replying to my posts. (Just send this message.)")


def delete_url(bot_name: str, post_id: str) -> str:
    """Deleting: body ``delete t3_{post_id}``; the inbox handler must check the sender is the post's author."""
    return compose_url(bot_name, DELETE_SUBJECT, f"delete t3_{post_id}")


def feedback_url(to: str, post_url: str) -> str:
    return compose_url(to, FEEDBACK_SUBJECT, f"About the reply on {post_url} :\n\n")


def template_fields(template: str) -> set[str]:
    """The placeholders ``template`` uses; ValueError for anything but plain known names."""
    names: set[str] = set()
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"reply template: {exc} (write {{{{ and }}}} for literal braces)") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            raise ValueError(f"reply template: unsupported placeholder {{{name}{'!' + conversion if conversion else ''}"
                             f"{':' + spec if spec else ''}}} (known: {', '.join(sorted(PLACEHOLDERS))})")
        names.add(name)
    return names


def _with_delete_line(template: str) -> str:
    """Templates without ``{delete_url}`` (e.g. older settings) still tell the author how to delete."""
    if "delete_url" in template_fields(template):
        return template
    cut = template.find("\n---")
    if cut == -1:
        return template.rstrip("\n") + "\n\n" + DELETE_LINE + "\n"
    return template[:cut].rstrip("\n") + "\n\n" + DELETE_LINE + "\n" + template[cut:]


def render_reply(context: ReplyContext, template: str = DEFAULT_TEMPLATE) -> str:
    """The reply Markdown for ``context``; raises ValueError for a bad template or a reply too long."""
    c = context
    post_url = SITE_URL + c.permalink if c.permalink.startswith("/") else (c.permalink or f"{SITE_URL}/comments/{c.post_id}/")
    urls = {
        "comparison_url": c.comparison_url, "colorized_url": c.colorized_url or c.comparison_url,
        "opt_out_url": opt_out_url(c.bot_name), "feedback_url": feedback_url(c.feedback_to or c.bot_name, post_url),
        "source_url": c.source_url, "delete_url": delete_url(c.bot_name, c.post_id), "post_url": post_url,
    }
    texts = {"author": c.author or "OP", "title": c.title, "subreddit": c.subreddit, "bot_name": c.bot_name}
    values = {k: markdown_url(v) for k, v in urls.items()} | {k: escape_markdown(v) for k, v in texts.items()}
    text = _with_delete_line(template).format_map(values)
    if len(text) > MAX_COMMENT_CHARS:
        raise ValueError(f"reply is {len(text)} characters; Reddit allows {MAX_COMMENT_CHARS}")
    return text
