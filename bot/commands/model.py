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
                        help="The model store: list the models, promote a better one, roll back. Workers follow without a restart.")


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


def promote(settings: Settings, checkpoint: Path, *, data: Path, force: bool = False, device: str = "auto",
            echo: Callable[[str], None] = typer.echo) -> StoredModel:
    """Score ``checkpoint`` against the current model; store it and make it current when it is not worse (or ``force``)."""
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
                current_model = baseline
            else:
                current_model = store.get(current.sha256)
            known = {m.sha256 for m in store.list()}
            candidate = store.add(candidate_file, source=str(checkpoint))
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
    switches.promote(candidate.id, candidate.sha256, forced=not verdict.better, reason=verdict.line(),
                     baseline=(baseline.id, baseline.sha256) if baseline else None)
    echo(f"promoted {candidate.id}{' (forced)' if not verdict.better else ''}: {verdict.line()}; "
         f"workers switch from {short_id(current_model.sha256)} before their next batch")
    return candidate


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def promote_command(
    checkpoint: Annotated[Path, typer.Argument(help="A checkpoint: a training run's final.pt or an exported model.")],
    data: Annotated[Optional[Path], typer.Option(help="The fixed test photos both models are scored on.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Promote even when it scores worse than the current model.")] = False,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda (for scoring).")] = "auto",
    config: ConfigOption = None,
) -> None:
    """Score CHECKPOINT against the current model on the test photos; make it current if it is not worse."""
    from training.promotion import DEFAULT_TEST_DATA

    setup_logging()
    settings = settings_or_exit(config)
    try:
        promote(settings, checkpoint, data=data or DEFAULT_TEST_DATA, force=force, device=device)
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
    """Make the previous current model current again."""
    from db.model_switches import NothingToRollBack

    store, switches = _store_and_switches(settings_or_exit(config))
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
    current = switches.current()
    rows = [{"id": m.id, "current": bool(current and current.sha256 == m.sha256), "created": m.created, "source": m.source,
             "lineage": m.lineage, "test": {k.removeprefix("test:"): v for k, v in m.scores.items() if k.startswith("test:")}}
            for m in store.list()]
    if as_json:
        typer.echo(json.dumps({"store": str(store.root), "current": current.model_id if current else None, "models": rows}, indent=2))
        return
    typer.echo(f"store {store.root}: {len(rows)} models; current: "
               + (f"{current.model_id} ({current.action} at {current.switched_at:%Y-%m-%d %H:%M} UTC)" if current else "the configured model"))
    for row in rows:
        lineage = row["lineage"]
        made = ", ".join(f"{k} {lineage[k]}" for k in ("label", "backbone", "steps", "images_seen") if k in lineage)
        tests = "; ".join(f"PSNR {t['psnr']:.2f} dB, CF ratio {t['cf_ratio']:.2f} on {t['images']} photos" for t in row["test"].values())
        typer.echo(f"{'*' if row['current'] else ' '} {row['id']}  {row['created']}  {made or row['source']}  {tests or 'not scored'}")


model_app.command("list")(list_command)
model_app.command("promote")(promote_command)
model_app.command("rollback")(rollback_command)
