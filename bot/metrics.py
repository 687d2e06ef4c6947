"""Prometheus metrics: what the bot did (counters, per process) and where the queue stands (from the DB).

Why two kinds: counters such as posts seen or replies live in the process that did the work, so
each bot process exports its own and Prometheus adds them up. The queue's state (jobs by state,
the oldest waiting job, the last successful poll) is read from the database at scrape time by
:class:`QueueCollector`, so every process — and ``colorbot serve`` beside them — reports the same
numbers. Each :class:`BotMetrics` has its own registry (never the global one): two bots in one
test process do not share counts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from colorizer.store import short_id
from db.types import Clock, utcnow

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger(__name__)

#: The media type of :func:`exposition` (Prometheus text format 0.0.4).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
COLORIZE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class BotMetrics:
    """The counters the poller, worker and inbox increment at their points of decision."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.polls = Counter("colorbot_polls", "Polls of the watched listings, by outcome (ok, error).", ["outcome"], registry=r)
        self.posts_seen = Counter("colorbot_posts_seen", "New posts read from the watched listings.", registry=r)
        self.jobs_queued = Counter("colorbot_jobs_queued", "Images queued for colorization.", registry=r)
        self.decisions = Counter("colorbot_post_decisions", "The worker's decision per post (replied, skipped, retrying, ...).",
                                 ["decision"], registry=r)
        self.replies = Counter("colorbot_replies", "Replies posted on Reddit.", registry=r)
        self.errors = Counter("colorbot_errors", "Failures by where they happened (reddit, download, host, colorizer, "
                              "poll, inbox, worker) and their kind.", ["source", "kind"], registry=r)
        self.colorize_seconds = Histogram("colorbot_colorize_seconds", "Seconds the model took for one batch.",
                                          buckets=COLORIZE_BUCKETS, registry=r)
        self.images_colorized = Counter("colorbot_images_colorized", "Photos colorized by the model.", registry=r)
        self.clips_colorized = Counter("colorbot_clips_colorized", "Video clips colorized (film posts, GIF posts).", registry=r)
        self.clip_seconds = Counter("colorbot_clip_seconds_colorized", "Seconds of video colorized.", registry=r)
        self.clip_wall_seconds = Counter("colorbot_clip_wall_seconds", "Wall seconds spent colorizing clips "
                                         "(divided by colorbot_clip_seconds_colorized: seconds of work per second of clip).", registry=r)
        self.inbox_actions = Counter("colorbot_inbox_actions", "Inbox messages acted on (opt_out, delete, refused, ignored).",
                                     ["action"], registry=r)
        self.model_switches = Counter("colorbot_model_switches", "Times this process switched to a newly current model "
                                      "between batches.", registry=r)
        self.removed_for_score = Counter("colorbot_replies_removed_for_score", "Replies this process took down because "
                                         "readers voted them to scores.remove_at_or_below.", registry=r)
        for outcome in ("ok", "error"):
            self.polls.labels(outcome)

    def error(self, source: str, kind: str | None) -> None:
        """Count one failure; ``kind`` is e.g. Reddit's error type, "HTTP 429" or a download error kind."""
        self.errors.labels(source, kind or "unknown").inc()

    def watch_database(self, engine: Engine, *, clock: Clock = utcnow) -> BotMetrics:
        """Also export the queue's state, read from ``engine`` at each scrape."""
        self.registry.register(QueueCollector(engine, clock=clock))
        return self

    def watch_model(self, source: Any) -> BotMetrics:
        """Also export the model this process holds (a ``bot.model_source.ModelSource``)."""
        self.registry.register(LoadedModelCollector(source))
        return self

    def watch_reddit(self, reddit: Any) -> BotMetrics:
        """Also export Reddit's rate-limit budget as PRAW last saw it."""
        self.registry.register(RedditLimitsCollector(reddit))
        return self


class QueueCollector(Collector):
    """Gauges computed from the database when scraped, so every process agrees."""

    def __init__(self, engine: Engine, *, clock: Clock = utcnow) -> None:
        self.engine, self.clock = engine, clock

    def collect(self) -> Iterator[Metric]:
        from db.report import read_gauges

        up = GaugeMetricFamily("colorbot_database_up", "1 when the last scrape could read the database.")
        try:
            gauges = read_gauges(self.engine)
        except Exception as exc:  # noqa: BLE001 - a scrape must answer, not fail, when the DB is down
            log.warning("metrics: cannot read the database: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        jobs = GaugeMetricFamily("colorbot_jobs", "Jobs in the queue by state.", labels=["state"])
        for state, count in gauges.counts.items():
            jobs.add_metric([state], count)
        yield jobs
        yield GaugeMetricFamily("colorbot_queue_oldest_pending_age_seconds",
                                "Seconds since the oldest pending job was queued (0: nothing waits).",
                                value=gauges.oldest_pending_age_seconds(self.clock()))
        last = gauges.last_poll_at.timestamp() if gauges.last_poll_at else 0.0
        yield GaugeMetricFamily("colorbot_last_successful_poll_timestamp_seconds",
                                "The heartbeat: Unix time of the last successful poll (0: never).", value=last)
        yield GaugeMetricFamily("colorbot_replies_recorded", "Posts the bot has answered, as recorded in the database.",
                                value=gauges.replies_recorded)
        yield GaugeMetricFamily("colorbot_banned_subreddits", "Subreddits that ban the bot.", value=gauges.banned_subreddits)
        current = GaugeMetricFamily("colorbot_current_model_info", "The model the database names current (1), by id and "
                                    "how it became current; absent before the first promote.", labels=["model", "action"])
        if gauges.current_model is not None:
            current.add_metric([gauges.current_model.model_id, gauges.current_model.action], 1)
        yield current
        per_model = GaugeMetricFamily("colorbot_replies_by_model", "Posts answered, by the model (id) that drew the "
                                      "comparison ('unrecorded': before models were recorded).", labels=["model"])
        for sha, count in sorted(gauges.replies_by_model.items(), key=lambda kv: kv[0] or ""):
            per_model.add_metric([short_id(sha) if sha else "unrecorded"], count)
        yield per_model
        yield from verdict_metrics(self.engine)


SCORE_BUCKETS = (-5.0, -1.0, 0.0, 1.0, 2.0, 5.0, 10.0, 50.0)


def verdict_metrics(engine: Engine) -> Iterator[Metric]:
    """The readers' verdict per model, from ``reply_scores``: a score histogram, removals, the running canary."""
    from db.model_switches import ModelSwitches
    from db.reply_scores import ReplyScores

    verdicts = ReplyScores(engine).verdicts()
    histogram = HistogramMetricFamily("colorbot_reply_score", "Scores of the bot's replies as last read back, by model.",
                                      labels=["model"])
    removals = GaugeMetricFamily("colorbot_replies_removed", "Replies gone, by model and how: removed (by a moderator) "
                                 "or deleted_for_score (by the bot).", labels=["model", "how"])
    for sha, verdict in sorted(verdicts.items(), key=lambda kv: kv[0] or ""):
        model = short_id(sha) if sha else "unrecorded"
        buckets = [(str(bound), sum(1 for s in verdict.scores if s <= bound)) for bound in SCORE_BUCKETS]
        histogram.add_metric([model], buckets + [("+Inf", len(verdict.scores))], sum_value=float(sum(verdict.scores)))
        removals.add_metric([model, "removed"], round(verdict.share_removed * verdict.replies))
        removals.add_metric([model, "deleted_for_score"], verdict.deleted_for_score)
    yield histogram
    yield removals
    canary = GaugeMetricFamily("colorbot_canary_share", "The share of new posts the canary model answers, by model "
                               "(absent when none runs).", labels=["model"])
    if (running := ModelSwitches(engine).canary()) is not None:
        canary.add_metric([running.model_id], running.share)
    yield canary


class LoadedModelCollector(Collector):
    """The model this process answers with (absent until its first batch loads one)."""

    def __init__(self, source: Any) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        loaded = self.source.loaded
        family = GaugeMetricFamily("colorbot_model_loaded_info", "The model this process answers with (1), by id.", labels=["model"])
        if loaded is not None:
            family.add_metric([loaded.id or "unnamed"], 1)
        yield family


class RedditLimitsCollector(Collector):
    """Reddit's ``x-ratelimit-*`` budget from PRAW's rate limiter (absent until the first request)."""

    def __init__(self, reddit: Any) -> None:
        self.reddit = reddit

    def collect(self) -> Iterator[Metric]:
        try:
            limits = self.reddit.auth.limits
        except Exception:  # noqa: BLE001 - no core yet (never used): nothing to say
            return
        if limits.get("remaining") is not None:
            yield GaugeMetricFamily("colorbot_reddit_ratelimit_remaining",
                                    "Requests left in Reddit's current rate-limit window.", value=float(limits["remaining"]))
        if limits.get("used") is not None:
            yield GaugeMetricFamily("colorbot_reddit_ratelimit_used",
                                    "Requests used in Reddit's current rate-limit window.", value=float(limits["used"]))


def database_registry(engine: Engine, *, clock: Clock = utcnow) -> CollectorRegistry:
    """A registry with only the database's gauges: what ``colorbot serve`` exports beside the bots."""
    registry = CollectorRegistry()
    registry.register(QueueCollector(engine, clock=clock))
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    """The registry in Prometheus' text format."""
    return generate_latest(registry)
