"""The status page's HTML: queue counts, recent comparisons, failures, bans — no scripts, no forms.

Everything shown comes from Reddit users or error messages (subreddit names, skip reasons,
exception text), so every value goes through :func:`html.escape` and every link through
:func:`safe_url` (http/https only: a stored ``javascript:`` URL becomes plain text). The server
adds a Content-Security-Policy that forbids scripts as a second line of defence.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from urllib.parse import urlsplit

from bot.health import Health
from colorizer.store import short_id
from db.models import BannedSubreddit, Job, JobState, PollCursor
from db.report import StatusReport

REDDIT = "https://www.reddit.com"
REFRESH_SECONDS = 30
STATE_COLOURS = {"pending": "#b7791f", "running": "#2b6cb0", "done": "#2f855a", "skipped": "#718096", "failed": "#c53030"}

CSS = """
:root { color-scheme: light; --ink: #1a202c; --muted: #5a6578; --line: #e2e8f0; --bg: #f7f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: var(--ink); background: var(--bg); }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .6rem 1.2rem; padding: 1rem 2rem;
         background: #1a202c; color: #fff; }
header h1 { margin: 0; font-size: 1.35rem; }
header .meta { color: #cbd5e0; font-size: .85rem; }
.badge { display: inline-block; padding: .15rem .6rem; border-radius: 999px; font-weight: 600; font-size: .85rem; }
.badge.ok { background: #c6f6d5; color: #22543d; } .badge.bad { background: #fed7d7; color: #822727; }
main { max-width: 1180px; margin: 0 auto; padding: 1.2rem 2rem 3rem; }
section { margin-top: 1.6rem; }
h2 { font-size: 1.05rem; margin: 0 0 .6rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); gap: .8rem; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: .7rem 1rem; }
.card .count { display: block; font-size: 1.9rem; font-weight: 700; }
.card .label { color: var(--muted); font-size: .85rem; }
.card.state { border-top: 4px solid var(--state); }
.thumbs { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: .8rem; }
figure { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 10px; overflow: hidden; }
figure img { display: block; width: 100%; height: 130px; object-fit: contain; background: #f1f3f6; }
figure .play { display: flex; align-items: center; justify-content: center; height: 130px; background: #20242b; color: #fff; }
figcaption { padding: .4rem .6rem; font-size: .82rem; color: var(--muted); }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); border-radius: 10px;
        overflow: hidden; font-size: .88rem; }
th, td { text-align: left; padding: .45rem .7rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #edf0f4; font-weight: 600; color: var(--muted); }
tr:last-child td { border-bottom: 0; }
td.reason { max-width: 520px; overflow-wrap: anywhere; }
.pill { padding: .05rem .45rem; border-radius: 6px; color: #fff; font-size: .78rem; background: var(--state); }
.empty { color: var(--muted); font-style: italic; }
a { color: #2b6cb0; text-decoration: none; } a:hover { text-decoration: underline; }
footer { margin-top: 2rem; color: var(--muted); font-size: .8rem; }
"""


def safe_url(url: str | None, base: str | None = None) -> str | None:
    """``url`` if it is http(s) (a relative ``/r/...`` path is joined to ``base``), else None."""
    if not url:
        return None
    if base and url.startswith("/") and not url.startswith("//"):
        url = base.rstrip("/") + url
    return url if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc else None


def _link(url: str | None, text: str, base: str | None = None) -> str:
    href = safe_url(url, base)
    return f'<a href="{escape(href)}" rel="noopener noreferrer">{escape(text)}</a>' if href else escape(text)


def _when(value: datetime | None, now: datetime) -> str:
    """Relative time with the exact UTC time as a tooltip."""
    if value is None:
        return '<span class="empty">never</span>'
    seconds = (now - value).total_seconds()
    ago = _duration(abs(seconds)) + (" ago" if seconds >= 0 else " from now")
    return f'<time datetime="{value.isoformat(timespec="seconds")}" title="{value:%Y-%m-%d %H:%M:%S} UTC">{ago}</time>'


def _duration(seconds: float) -> str:
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


def _state(state: str) -> str:
    return f'<span class="pill" style="--state: {STATE_COLOURS.get(state, "#4a5568")}">{escape(state)}</span>'


def _post(job: Job) -> str:
    return _link(job.permalink, f"t3_{job.post_id}" + (f" #{job.image_index + 1}" if job.image_index else ""), REDDIT)


def _table(headers: tuple[str, ...], rows: list[str], empty: str) -> str:
    if not rows:
        return f'<p class="empty">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _queue(report: StatusReport, now: datetime) -> str:
    g = report.gauges
    cards = [f'<div class="card state" style="--state: {STATE_COLOURS[s.value]}" data-state="{s.value}">'
             f'<span class="count">{g.counts.get(s.value, 0)}</span><span class="label">{s.value}</span></div>'
             for s in JobState]
    waited = _duration(g.oldest_pending_age_seconds(now)) if g.oldest_pending_created_at else "—"
    cards.append(f'<div class="card"><span class="count">{waited}</span><span class="label">oldest pending job</span></div>')
    cards.append(f'<div class="card" data-stat="replies"><span class="count">{g.replies_recorded}</span>'
                 '<span class="label">posts answered</span></div>')
    if g.clips_answered:
        cards.append(f'<div class="card" data-stat="clips"><span class="count">{g.clips_answered}</span>'
                     f'<span class="label">clips answered ({_duration(g.clip_seconds)} colorized)</span></div>')
    return f'<section id="queue"><h2>Queue</h2><div class="cards">{"".join(cards)}</div></section>'


def _comparisons(jobs: list[Job], now: datetime) -> str:
    figures = []
    for job in jobs:
        src, href = safe_url(job.hosted_url), safe_url(job.permalink, REDDIT)
        if src is None:
            continue
        if job.kind == "video":
            figures.append(_clip_figure(job, src, now))
            continue
        image = f'<img loading="lazy" src="{escape(src)}" alt="comparison for t3_{escape(job.post_id)}">'
        if href:
            image = f'<a href="{escape(href)}" rel="noopener noreferrer">{image}</a>'
        figures.append(f"<figure>{image}<figcaption>r/{escape(job.subreddit)} · {_post(job)} · "
                       f"{_when(job.updated_at, now)}</figcaption></figure>")
    body = f'<div class="thumbs">{"".join(figures)}</div>' if figures else '<p class="empty">No comparisons yet.</p>'
    return f'<section id="comparisons"><h2>Recent comparisons</h2>{body}</section>'


def _clip_figure(job: Job, clip_url: str, now: datetime) -> str:
    """A video answer: its poster frame (or a play card when the host gave none) linking to the clip."""
    metrics = job.metrics or {}
    poster = safe_url(metrics.get("poster_url"))
    seconds = float(metrics.get("clip_seconds") or 0.0)
    label = f"▶ colorized clip, {_duration(seconds)}"
    inner = (f'<img loading="lazy" src="{escape(poster)}" alt="poster frame of the clip for t3_{escape(job.post_id)}">'
             if poster else f'<span class="play">{escape(label)}</span>')
    return (f'<figure class="clip"><a href="{escape(clip_url)}" rel="noopener noreferrer">{inner}</a>'
            f"<figcaption>video · {escape(label)} · r/{escape(job.subreddit)} · {_post(job)} · {_when(job.updated_at, now)}"
            "</figcaption></figure>")


def _failures(jobs: list[Job], now: datetime) -> str:
    rows = [f"<tr><td>{_when(j.updated_at, now)}</td><td>{_post(j)}</td><td>r/{escape(j.subreddit)}</td>"
            f"<td>{_state(j.state)}</td><td>{j.attempts}</td><td class=\"reason\">{escape(j.last_error or '')}</td></tr>"
            for j in jobs]
    table = _table(("when", "post", "subreddit", "state", "attempts", "reason"), rows, "No failures.")
    return f'<section id="failures"><h2>Failures</h2>{table}</section>'


def _bans(bans: list[BannedSubreddit], now: datetime) -> str:
    rows = [f"<tr><td>r/{escape(b.name)}</td><td>{_when(b.since, now)}</td><td class=\"reason\">{escape(b.reason or '')}</td>"
            f"<td>{_when(b.next_check_at, now)}</td></tr>" for b in bans]
    table = _table(("subreddit", "since", "reason", "next check"), rows, "No subreddit bans the bot.")
    return f'<section id="banned"><h2>Banned subreddits</h2>{table}</section>'


def _recent(jobs: list[Job], now: datetime) -> str:
    rows = [f"<tr><td>{_when(j.updated_at, now)}</td><td>{_post(j)}</td><td>r/{escape(j.subreddit)}</td>"
            f"<td>{_state(j.state)}</td><td>{j.attempts}</td>"
            f"<td class=\"reason\">{escape(j.skip_reason or j.last_error or '')}</td></tr>" for j in jobs]
    table = _table(("updated", "post", "subreddit", "state", "attempts", "why"), rows, "The queue is empty.")
    return f'<section id="jobs"><h2>Recent jobs</h2>{table}</section>'


def _model(report: StatusReport, now: datetime) -> str:
    g = report.gauges
    current = g.current_model
    if current is None:
        line = '<p id="current-model">The configured model answers (none promoted).</p>'
    else:
        line = (f'<p id="current-model">Current model <code>{escape(current.model_id)}</code> ({escape(current.action)}, '
                f'{_when(current.switched_at, now)})</p>')
    if report.canary is not None:
        line += (f'<p id="canary">Canary <code>{escape(report.canary[0])}</code> answers {report.canary[1]:.0%} of new posts '
                 f'(<code>colorbot model compare</code>; <code>model promote</code> or <code>rollback</code> ends it)</p>')
    rows = []
    for sha, count in sorted(g.replies_by_model.items(), key=lambda kv: -kv[1]):
        v = report.verdicts.get(sha)
        judged = (f"<td>{v.replies}</td><td>{v.median_score:g}</td><td>{v.share_at_or_below_zero:.0%}</td>" if v
                  else "<td>0</td><td>—</td><td>—</td>")
        rows.append(f"<tr><td><code>{escape(short_id(sha)) if sha else 'unrecorded'}</code></td><td>{count}</td>{judged}</tr>")
    table = _table(("model", "posts answered", "read back", "median score", "score ≤ 0"), rows, "No replies yet.")
    lowest = [f"<tr><td>{row.score}</td><td>{_link(link, 't1_' + row.reply_id)}</td>"
              f"<td><code>{escape(short_id(row.model_sha256)) if row.model_sha256 else 'unrecorded'}</code></td>"
              f"<td>{escape(row.state.replace('_', ' '))}</td></tr>" for row, link in report.lowest_replies]
    worst = _table(("score", "reply", "model", "state"), lowest, "No reply has been read back yet.")
    return f'<section id="model"><h2>Model</h2>{line}{table}<h3>Lowest-scored replies</h3>{worst}</section>'


def _polls(polls: list[PollCursor], now: datetime) -> str:
    rows = [f"<tr><td>{escape(p.listing_key)}</td><td>{_when(p.last_polled_at, now)}</td>"
            f"<td>{escape(p.newest_fullname or '—')}</td></tr>" for p in polls]
    table = _table(("listing", "last successful poll", "newest post"), rows, "Never polled.")
    return f'<section id="polls"><h2>Polls</h2>{table}</section>'


def render_page(report: StatusReport, health: Health, *, database: str, now: datetime) -> str:
    """The whole page; ``database`` must already be masked (``db.mask_url``)."""
    badge = f'<span class="badge {"ok" if health.ok else "bad"}" id="health">{"healthy" if health.ok else "unhealthy"}</span>'
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{REFRESH_SECONDS}">
<title>colorbot status</title><style>{CSS}</style></head>
<body><header><h1>colorbot</h1>{badge}<span class="meta">{escape(health.reason)}</span>
<span class="meta">database {escape(database)}</span></header>
<main>
{_queue(report, now)}
{_model(report, now)}
{_comparisons(report.comparisons, now)}
{_failures(report.failures, now)}
{_bans(report.banned, now)}
{_recent(report.recent_jobs, now)}
{_polls(report.polls, now)}
<footer>Read-only view, refreshed every {REFRESH_SECONDS} s. Generated {now:%Y-%m-%d %H:%M:%S} UTC ·
<a href="/metrics">/metrics</a> · <a href="/healthz">/healthz</a></footer>
</main></body></html>
"""
