"""`colorbot status`: the operator's view of the queue — counts, recent jobs, bans, last poll.

Reads the database only (never Reddit), so it is safe to run beside a live bot.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from bot.commands.common import ConfigOption, settings_or_exit

RECENT_JOBS = 10


def gather_status(database_url: str, recent: int = RECENT_JOBS) -> dict[str, Any]:
    """Everything ``colorbot status`` shows, as plain data (the database is migrated first)."""
    from colorizer.store import short_id
    from db import make_engine, mask_url, upgrade
    from db.report import read_report

    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        report = read_report(engine, recent)
    finally:
        engine.dispose()
    return {
        "database": mask_url(database_url),
        "counts": report.gauges.counts,
        "current_model": None if (m := report.gauges.current_model) is None else {
            "id": m.model_id, "sha256": m.sha256, "action": m.action, "since": m.switched_at.isoformat(timespec="seconds")},
        "replies_by_model": {short_id(sha) if sha else "unrecorded": n for sha, n in report.gauges.replies_by_model.items()},
        "recent_jobs": [{
            "id": j.id, "post": f"t3_{j.post_id}", "image": j.image_index, "subreddit": j.subreddit, "state": j.state,
            "attempts": j.attempts, "updated_at": j.updated_at.isoformat(timespec="seconds"),
            "next_attempt_at": j.next_attempt_at.isoformat(timespec="seconds") if j.state == "pending" else None,
            "why": j.skip_reason or j.last_error, "reply": f"t1_{j.reply_id}" if j.reply_id else None,
            "hosted_url": j.hosted_url, "model": short_id(j.model_sha256) if j.model_sha256 else None,
        } for j in report.recent_jobs],
        "banned_subreddits": [{
            "name": b.name, "since": b.since.isoformat(timespec="seconds"), "reason": b.reason,
            "next_check_at": b.next_check_at.isoformat(timespec="seconds") if b.next_check_at else None,
        } for b in report.banned],
        "polls": [{
            "listing": c.listing_key, "newest": c.newest_fullname,
            "last_polled_at": c.last_polled_at.isoformat(timespec="seconds") if c.last_polled_at else None,
        } for c in report.polls],
    }


def status_command(
    config: ConfigOption = None,
    recent: Annotated[int, typer.Option(help="How many recent jobs to list.")] = RECENT_JOBS,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show queue counts by state, the most recent jobs, banned subreddits and the last poll."""
    settings = settings_or_exit(config)
    data = gather_status(settings.database_url, recent)
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    typer.echo(f"database: {data['database']}")
    typer.echo("queue: " + ", ".join(f"{state} {count}" for state, count in data["counts"].items()))
    model = data["current_model"]
    typer.echo("model: " + (f"{model['id']} ({model['action']} at {model['since']})" if model else "the configured one (none promoted)")
               + "; replies " + (", ".join(f"{k} {v}" for k, v in data["replies_by_model"].items()) or "none"))
    polls = data["polls"]
    typer.echo("last poll: " + (", ".join(f"{p['listing']} at {p['last_polled_at']} (newest {p['newest'] or '-'})" for p in polls) or "never"))
    bans = data["banned_subreddits"]
    typer.echo("banned: " + (", ".join(f"r/{b['name']} since {b['since']} ({b['reason']}; next check {b['next_check_at'] or '-'})" for b in bans) or "none"))
    typer.echo(f"recent jobs ({len(data['recent_jobs'])}):")
    for j in data["recent_jobs"]:
        extra = j["reply"] or (f"next try {j['next_attempt_at']}" if j["next_attempt_at"] else "")
        why = f" — {j['why']}" if j["why"] else ""
        typer.echo(f"  {j['updated_at']}  {j['post']}#{j['image']}  r/{j['subreddit']}  {j['state']} (attempt {j['attempts']}) {extra}{why}")
