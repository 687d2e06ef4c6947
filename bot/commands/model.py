"""`colorbot model list | promote | rollback`: which model the bot answers with, and changing it safely.

The store (``model_store`` / ``COLORBOT_MODEL_STORE``) keeps the files (``colorizer.store``), the
database records which one is current (``db.model_switches``), and ``training.promotion`` decides
whether a candidate is better, scoring both models with `colorbot eval`'s own code. Workers pick
up a switch before their next batch (``bot.model_source``); nothing restarts.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from bot.commands.common import EXIT_BAD_CONFIG, ConfigOption, settings_or_exit, setup_logging

if TYPE_CHECKING:
    from bot.config import Settings
    from colorizer.store import ModelStore, StoredModel
    from db.model_switches import ModelSwitches
    from training.promotion import Scores

EXIT_REFUSED = 1
model_app = typer.Typer(rich_markup_mode=None, add_completion=False, no_args_is_help=True,
                        help="The model store: list the models, promote a better one (or a canary), compare readers' verdicts, roll back. Workers follow without a restart.")


class PromotionRefused(Exception):
    """The candidate is not better than the current model (or cannot be used); the message says why."""


def _store_and_switches(settings: Settings) -> tuple[ModelStore, ModelSwitches]:
    from colorizer.store import ModelStore
    from db import make_engine, upgrade
    from db.model_switches import ModelSwitches

    if settings.model_store is None:
        typer.echo("error: no model store configured: set model_store in colorbot.toml or COLORBOT_MODEL_STORE", err=True)
        raise typer.Exit(EXIT_BAD_CONFIG)
    upgrade(settings.database_url)
    return ModelStore(settings.model_store), ModelSwitches(make_engine(settings.database_url))


def _scores(store: ModelStore, model: StoredModel, data: Path, key: str, device: str) -> Scores:
    """The model's test numbers, from its record when they were computed on these photos (``key``) before."""
    from training.promotion import Scores, score_model

    if f"test:{key}" in model.scores:
        return Scores.from_dict(model.scores[f"test:{key}"])
    scores = score_model(store.verified_path(model.sha256), data, device=device, key=key)
    store.record_scores(model.sha256, f"test:{key}", scores.as_dict())
    return scores


def _shippable(checkpoint: Path, folder: Path) -> Path:
    """``checkpoint`` itself when it is an exported model, else its export (fp16 + lineage) in ``folder``."""
    from colorizer.checkpoint import read_checkpoint
    from training.export import export_model

    meta = read_checkpoint(checkpoint)["meta"]
    if "lineage" in meta:
        return checkpoint
    out = folder / "candidate.pt"
    export_model(checkpoint, out, label=str(meta.get("label") or f"promoted from {checkpoint}"),
                 saturation=float(meta.get("saturation", 1.0)))
    return out


def _write_graph(model: StoredModel, echo: Callable[[str], None]) -> None:
    """Put the model's ONNX graph beside it in the store, so CPU workers load it instead of exporting."""
    from colorizer.onnx_graph import ExportUnavailable, export_beside, graphs_beside

    if graphs_beside(model.path):
        return
    try:
        export_beside(model.path)
    except ExportUnavailable as exc:
        echo(f"note: no ONNX graph written for {model.id} ({exc}); CPU workers will export it or run PyTorch")


def promote(settings: Settings, checkpoint: Path, *, data: Path, force: bool = False, device: str = "auto",
            canary: float | None = None, echo: Callable[[str], None] = typer.echo) -> StoredModel:
    """Score ``checkpoint`` against the current model; store it and make it current when it is not worse (or ``force``).

    ``canary`` (a share, 0..1): instead of making it current, let it answer that share of new posts
    (chosen by post id) beside the current model, until a full promote or a rollback ends it.
    """
    from colorizer.checkpoint import CheckpointError
    from colorizer.store import StoreError, short_id
    from training.data import list_images
    from training.promotion import data_key, judge

    try:
        photos = list_images(data)
    except (FileNotFoundError, ValueError):
        photos = []
    if not photos:
        raise PromotionRefused(f"no test photos in {data}: fetch them (python -m training.fetch_photos data/photos) or pass --data")
    store, switches = _store_and_switches(settings)
    try:
        with tempfile.TemporaryDirectory(prefix=".incoming-", dir=_mkdir(store.root)) as scratch:
            candidate_file = _shippable(checkpoint, Path(scratch))
            current = switches.current()
            baseline = None
            if current is None:  # first promote: the configured model enters the store so it can be rolled back to
                baseline = store.add(settings.model_file(), source=f"configured model {settings.model_file()}")
                _write_graph(baseline, echo)
                current_model = baseline
            else:
                current_model = store.get(current.sha256)
            known = {m.sha256 for m in store.list()}
            candidate = store.add(candidate_file, source=str(checkpoint))
            _write_graph(candidate, echo)
            if current is not None and candidate.sha256 == current.sha256:
                echo(f"model {candidate.id} is already current; nothing to do")
                return candidate
            key = data_key(data)
            new, old = _scores(store, candidate, data, key, device), _scores(store, current_model, data, key, device)
    except (CheckpointError, StoreError) as exc:
        raise PromotionRefused(str(exc)) from None
    verdict = judge(new, old)
    echo(f"candidate {candidate.id}: {new.line()}")
    echo(f"current   {current_model.id}: {old.line()}")
    if not verdict.better and not force:
        if candidate.sha256 not in known:  # copied in only to be scored: a refused model does not stay
            store.remove(candidate.sha256)
        raise PromotionRefused(f"refused {candidate.id}: {verdict.line()} (--force promotes it anyway)")
    if canary is not None:
        if baseline is not None:  # the configured model is the one the canary is measured against: record it
            switches.promote(baseline.id, baseline.sha256, reason="the configured model, current when the first canary started")
        switches.start_canary(candidate.id, candidate.sha256, canary, reason=verdict.line())
        echo(f"canary {candidate.id} answers {canary:.0%} of new posts (by post id) beside {short_id(current_model.sha256)}; "
             f"`colorbot model compare` shows the readers' verdict, `colorbot model promote` or `rollback` ends it")
        return candidate
    ended = switches.end_canary("promote") if switches.canary() is not None else None
    switches.promote(candidate.id, candidate.sha256, forced=not verdict.better, reason=verdict.line(),
                     baseline=(baseline.id, baseline.sha256) if baseline else None)
    if ended is not None and ended.sha256 != candidate.sha256:
        echo(f"canary {ended.model_id} ended: {candidate.id} was promoted instead")
    echo(f"promoted {candidate.id}{' (forced)' if not verdict.better else ''}: {verdict.line()}; "
         f"workers switch from {short_id(current_model.sha256)} before their next batch")
    return candidate


def promote_canary(settings: Settings, echo: Callable[[str], None] = typer.echo) -> None:
    """Make the running canary the current model for every post (the readers' verdict decided; no re-scoring)."""
    store, switches = _store_and_switches(settings)
    running = switches.canary()
    if running is None:
        raise PromotionRefused("no canary runs: name a checkpoint to promote")
    store.verified_path(running.sha256)  # refuse a store whose file went missing or changed
    switches.end_canary("promote")
    switches.promote(running.model_id, running.sha256, reason=f"canary at {running.share:.0%} promoted to every post")
    echo(f"promoted canary {running.model_id} to every post; workers switch before their next batch")


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def promote_command(
    checkpoint: Annotated[Optional[Path], typer.Argument(help="A checkpoint: a training run's final.pt or an exported model. "
                                                              "Omitted while a canary runs: the canary becomes current.")] = None,
    data: Annotated[Optional[Path], typer.Option(help="The fixed test photos both models are scored on.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Promote even when it scores worse than the current model.")] = False,
    canary: Annotated[Optional[float], typer.Option("--canary", min=0.001, max=0.999, help="Let it answer only this share "
                                                    "of new posts (by post id) beside the current model; see `model compare`.")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda (for scoring).")] = "auto",
    config: ConfigOption = None,
) -> None:
    """Score CHECKPOINT against the current model on the test photos; make it current (or a canary) if it is not worse."""
    from training.promotion import DEFAULT_TEST_DATA

    setup_logging()
    settings = settings_or_exit(config)
    try:
        if checkpoint is None:
            if canary is not None:
                raise PromotionRefused("--canary needs a checkpoint")
            promote_canary(settings)
            return
        promote(settings, checkpoint, data=data or DEFAULT_TEST_DATA, force=force, device=device, canary=canary)
    except PromotionRefused as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_REFUSED) from None


def promote_after_training(checkpoint: Path) -> int:
    """``colorbot train --promote``: promote a finished run's checkpoint; the exit code (0, or 1 when refused)."""
    from training.promotion import DEFAULT_TEST_DATA

    try:
        promote(settings_or_exit(None), checkpoint, data=DEFAULT_TEST_DATA)
    except PromotionRefused as exc:
        typer.echo(str(exc), err=True)
        return EXIT_REFUSED
    return 0


def rollback_command(config: ConfigOption = None) -> None:
    """End the running canary; without one, make the previous current model current again."""
    from db.model_switches import NothingToRollBack

    store, switches = _store_and_switches(settings_or_exit(config))
    if (ended := switches.end_canary("rollback")) is not None:
        typer.echo(f"canary {ended.model_id} ended; the current model answers every post again")
        return
    try:
        before = switches.current()
        after = switches.rollback(reason="colorbot model rollback")
    except NothingToRollBack as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_REFUSED) from None
    typer.echo(f"rolled back from {before.model_id if before else '-'} to {after.model_id}; workers switch before their next batch")


def list_command(config: ConfigOption = None,
                 as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """The models in the store: id, created, lineage, test numbers, and which one is current."""
    store, switches = _store_and_switches(settings_or_exit(config))
    current, canary = switches.current(), switches.canary()
    rows = [{"id": m.id, "current": bool(current and current.sha256 == m.sha256), "created": m.created, "source": m.source,
             "canary_share": canary.share if canary and canary.sha256 == m.sha256 else None,
             "lineage": m.lineage, "test": {k.removeprefix("test:"): v for k, v in m.scores.items() if k.startswith("test:")}}
            for m in store.list()]
    if as_json:
        typer.echo(json.dumps({"store": str(store.root), "current": current.model_id if current else None,
                               "canary": {"id": canary.model_id, "share": canary.share} if canary else None, "models": rows}, indent=2))
        return
    typer.echo(f"store {store.root}: {len(rows)} models; current: "
               + (f"{current.model_id} ({current.action} at {current.switched_at:%Y-%m-%d %H:%M} UTC)" if current else "the configured model")
               + (f"; CANARY {canary.model_id} answers {canary.share:.0%} of new posts since {canary.started_at:%Y-%m-%d %H:%M} UTC"
                  if canary else ""))
    for row in rows:
        lineage = row["lineage"]
        made = ", ".join(f"{k} {lineage[k]}" for k in ("label", "backbone", "steps", "images_seen") if k in lineage)
        tests = "; ".join(f"PSNR {t['psnr']:.2f} dB, CF ratio {t['cf_ratio']:.2f} on {t['images']} photos" for t in row["test"].values())
        mark = "*" if row["current"] else "c" if row["canary_share"] else " "
        typer.echo(f"{mark} {row['id']}  {row['created']}  {made or row['source']}  {tests or 'not scored'}")


def compare_command(config: ConfigOption = None) -> None:
    """How Reddit's readers judged each model's replies: scores, removals, and the canary against the current model."""
    from bot.model_compare import table
    from db import make_engine, upgrade
    from db.model_switches import ModelSwitches
    from db.reply_scores import ReplyScores

    settings = settings_or_exit(config)
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    switches = ModelSwitches(engine)
    current, canary = switches.current(), switches.canary()
    verdicts = ReplyScores(engine).verdicts()
    if not verdicts:
        typer.echo("no reply has been read back yet (`colorbot run` reads the scores every scores.interval_seconds)")
        return
    for line in table(verdicts, current=current.sha256 if current else None, canary=canary.sha256 if canary else None):
        typer.echo(line)


model_app.command("list")(list_command)
model_app.command("compare")(compare_command)
model_app.command("promote")(promote_command)
model_app.command("rollback")(rollback_command)
