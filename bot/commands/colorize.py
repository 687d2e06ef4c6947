"""`colorbot colorize`: batch-colorize photos and black-and-white films at full resolution."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

EXIT_SOME_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _show_model_notes(quiet: bool) -> None:
    """Let the colorizer's own lines through (an engine fallback; a first run's one-off ONNX export)."""
    logging.basicConfig(format="%(message)s")
    logging.getLogger("colorizer").setLevel(logging.WARNING if quiet else logging.INFO)


def colorize_command(
    inputs: Annotated[list[str], typer.Argument(help="Image or video files, folders (searched recursively) or glob patterns.", show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the results (inputs are never overwritten).")],
    model: Annotated[Optional[Path], typer.Option(help="Checkpoint file; default: the model shipped with colorbot.")] = None,
    render_size: Annotated[Optional[int], typer.Option(help="Long side, in pixels, at which the network runs; default: the checkpoint's.")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda or cuda:N.")] = "auto",
    engine: Annotated[str, typer.Option(help="What runs the net: auto (ONNX Runtime on the CPU, PyTorch on a GPU), torch or onnx.")] = "auto",
    batch_size: Annotated[int, typer.Option(min=1, help="Images per forward pass.")] = 8,
    workers: Annotated[int, typer.Option(min=1, help="Threads decoding and encoding images.")] = 2,
    panel: Annotated[bool, typer.Option(help="Also write a gray | auto | reference comparison next to each result.")] = False,
    saturation: Annotated[Optional[float], typer.Option(min=0.0, help="Chroma strength: 0 is gray, 1 the net's raw prediction; default: the one stored in the checkpoint (MODEL_CARD.md gives the shipped model's).")] = None,
    max_megapixels: Annotated[float, typer.Option(min=0.1, help="Refuse larger images (decompression-bomb guard).")] = 120.0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar, only errors and the summary.")] = False,
    temporal: Annotated[bool, typer.Option(help="Videos: carry colour along the optical flow so it does not flicker (--no-temporal: each frame on its own).")] = True,
    video_quality: Annotated[Optional[int], typer.Option(min=0, help="Videos: the encoder's own quality scale (x264 CRF, default 18; VP9 CRF 28; MPEG-2/4 qmax 3).")] = None,
    restart: Annotated[bool, typer.Option(help="Videos: discard an interrupted run's progress instead of continuing it.")] = False,
    keyframe_interval: Annotated[int, typer.Option(min=1, help="Videos: run the net on every k-th frame of a shot and carry the colour along the flow between (faster; needs --temporal).")] = 1,
    segment_seconds: Annotated[float, typer.Option(min=0.1, help="Videos: progress is saved every this many seconds of film (the most an interruption loses).")] = 10.0,
) -> None:
    """Colorize black-and-white photos and films (or the luminance of colour ones) at full resolution.

    Videos keep their frames, timestamps, frame rate, size, luminance, audio and subtitles; an
    interrupted video continues where it stopped when the same command runs again.
    """
    from colorizer.checkpoint import CheckpointError
    from colorizer.inference import Colorizer
    from colorizer.inputs import collect_inputs

    console = Console(stderr=True, soft_wrap=True, highlight=False)
    _show_model_notes(quiet)
    items, errors = collect_inputs(inputs, output)
    for line in errors:
        console.print(f"error: {line}", markup=False)
    if not items:
        console.print("error: nothing to colorize", markup=False)
        raise typer.Exit(EXIT_USAGE)
    try:
        colorizer = Colorizer.from_checkpoint(model, render_size=render_size, device=device, saturation=saturation, engine=engine)
    except (CheckpointError, ValueError) as exc:
        console.print(f"error: {exc}", markup=False)
        raise typer.Exit(EXIT_USAGE) from None

    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
        console=console, disable=quiet or not sys.stderr.isatty(),
    )
    images = [item for item in items if not item.is_video]
    videos = [item for item in items if item.is_video]
    sources = frozenset(item.source.resolve() for item in items)
    with progress:
        succeeded, failed = _colorize_images(images, colorizer, progress, batch_size=batch_size, workers=workers, panel=panel,
                                             max_pixels=int(max_megapixels * 1_000_000))
        video_done, video_failed = _colorize_videos(videos, colorizer, progress, sources, batch_size=batch_size, temporal=temporal,
                                                    quality=video_quality, restart=restart, segment_seconds=segment_seconds,
                                                    keyframe_interval=keyframe_interval)
    failed += video_failed + len(errors)
    console.print(
        f"colorized {succeeded + video_done} of {len(items) + len(errors)} inputs into {output} on {colorizer.device} ({colorizer.engine}); {failed} failed",
        markup=False,
    )
    if failed:
        raise typer.Exit(EXIT_SOME_FAILED)


def _report(progress: Progress, source: Path, error: str | None, notes: list[str]) -> None:
    if error:
        progress.console.print(f"error: {error}", markup=False)
    for note in notes:
        progress.console.print(f"note: {source}: {note}", markup=False)


def _colorize_images(items: list, colorizer, progress: Progress, **options) -> tuple[int, int]:
    """The photos, batched through the model; returns (succeeded, failed)."""
    from colorizer.batch import BatchColorizer, ItemResult

    if not items:
        return 0, 0
    task = progress.add_task("photos", total=len(items))

    def on_result(result: ItemResult) -> None:
        _report(progress, result.source, result.error, result.notes)
        progress.advance(task)

    report = BatchColorizer(colorizer, on_result=on_result, **options).run(items)
    progress.console.print(
        f"photos: {len(report.succeeded)} in {report.seconds:.1f} s ({len(report.succeeded) / max(report.seconds, 1e-9):.2f} images/s, "
        f"model busy {report.model_busy_fraction:.0%})", markup=False,
    )
    return len(report.succeeded), len(report.failed)


def _colorize_videos(items: list, colorizer, progress: Progress, sources: frozenset[Path], *, batch_size: int,
                     temporal: bool, quality: int | None, restart: bool, segment_seconds: float,
                     keyframe_interval: int) -> tuple[int, int]:
    """The films, one after the other, with a bar in frames; returns (succeeded, failed)."""
    from colorizer.video import TemporalSettings, VideoColorizer

    settings = TemporalSettings(keyframe_interval=keyframe_interval) if temporal else None
    runner = VideoColorizer(colorizer, temporal=settings, batch_size=batch_size,
                            quality=quality, restart=restart, segment_seconds=segment_seconds)
    succeeded = failed = 0
    for item in items:
        task = progress.add_task(item.source.name, total=None)

        def on_frames(done: int, total: int | None, task=task) -> None:
            progress.update(task, completed=done, total=max(total or 0, done) or None)

        try:
            result = runner.run(item.source, item.output_stem, on_frames, sources=sources)
        except KeyboardInterrupt:
            progress.console.print(f"interrupted: {item.source}: run the same command again to continue it", markup=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        progress.update(task, total=result.frames or 1, completed=result.frames or 1)
        _report(progress, item.source, result.error, result.notes)
        if result.error:
            failed += 1
            continue
        succeeded += 1
        resumed = f", continued after {result.resumed_frames}" if result.resumed_frames else ""
        progress.console.print(
            f"video: {item.source} -> {result.output}: {result.frames} frames in {result.seconds:.1f} s "
            f"({(result.frames - result.resumed_frames) / max(result.seconds, 1e-9):.1f} frames/s{resumed})", markup=False,
        )
    return succeeded, failed


def samples_command(
    folder: Annotated[Path, typer.Argument(help="Where to write the sample photos.")] = Path("samples"),
) -> None:
    """Write sample photos (scikit-image's public-domain gray and colour photos) for a first try."""
    from colorizer.samples import write_sample_photos

    for path in write_sample_photos(folder):
        typer.echo(path)
