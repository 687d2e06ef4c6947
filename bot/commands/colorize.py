"""`colorbot colorize`: batch-colorize files and folders at full resolution."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

EXIT_SOME_FAILED = 1
EXIT_USAGE = 2


def colorize_command(
    inputs: Annotated[list[str], typer.Argument(help="Image files, folders (searched recursively) or glob patterns.", show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the results (inputs are never overwritten).")],
    model: Annotated[Optional[Path], typer.Option(help="Checkpoint file; default: the model shipped with colorbot.")] = None,
    render_size: Annotated[Optional[int], typer.Option(help="Long side, in pixels, at which the network runs; default: the checkpoint's.")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda or cuda:N.")] = "auto",
    batch_size: Annotated[int, typer.Option(min=1, help="Images per forward pass.")] = 8,
    workers: Annotated[int, typer.Option(min=1, help="Threads decoding and encoding images.")] = 2,
    panel: Annotated[bool, typer.Option(help="Also write a gray | auto | reference comparison next to each result.")] = False,
    saturation: Annotated[Optional[float], typer.Option(min=0.0, help="Chroma strength: 0 is gray, 1 the net's raw prediction; default: the checkpoint's (1.05 for the shipped model).")] = None,
    max_megapixels: Annotated[float, typer.Option(min=0.1, help="Refuse larger images (decompression-bomb guard).")] = 120.0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar, only errors and the summary.")] = False,
) -> None:
    """Colorize black-and-white photos (or the luminance of colour ones) at full resolution."""
    from colorizer.batch import BatchColorizer, ItemResult
    from colorizer.checkpoint import CheckpointError
    from colorizer.inference import Colorizer
    from colorizer.inputs import collect_inputs

    console = Console(stderr=True, soft_wrap=True, highlight=False)
    items, errors = collect_inputs(inputs, output)
    for line in errors:
        console.print(f"error: {line}", markup=False)
    if not items:
        console.print("error: nothing to colorize", markup=False)
        raise typer.Exit(EXIT_USAGE)
    try:
        colorizer = Colorizer.from_checkpoint(model, render_size=render_size, device=device, saturation=saturation)
    except (CheckpointError, ValueError) as exc:
        console.print(f"error: {exc}", markup=False)
        raise typer.Exit(EXIT_USAGE) from None

    progress = Progress(
        TextColumn("colorizing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
        console=console, disable=quiet or not sys.stderr.isatty(),
    )

    def on_result(result: ItemResult) -> None:
        if result.error:
            progress.console.print(f"error: {result.error}", markup=False)
        for note in result.notes:
            progress.console.print(f"note: {result.source}: {note}", markup=False)
        progress.advance(task)

    with progress:
        task = progress.add_task("colorize", total=len(items))
        runner = BatchColorizer(
            colorizer, batch_size=batch_size, workers=workers, panel=panel,
            max_pixels=int(max_megapixels * 1_000_000), on_result=on_result,
        )
        report = runner.run(items)
    failed = len(report.failed) + len(errors)
    console.print(
        f"colorized {len(report.succeeded)} of {len(items) + len(errors)} inputs into {output} "
        f"in {report.seconds:.1f} s ({len(report.succeeded) / max(report.seconds, 1e-9):.2f} images/s, "
        f"model busy {report.model_busy_fraction:.0%} on {colorizer.device}); {failed} failed",
        markup=False,
    )
    if failed:
        raise typer.Exit(EXIT_SOME_FAILED)


def samples_command(
    folder: Annotated[Path, typer.Argument(help="Where to write the sample photos.")] = Path("samples"),
) -> None:
    """Write sample photos (scikit-image's public-domain gray and colour photos) for a first try."""
    from colorizer.samples import write_sample_photos

    for path in write_sample_photos(folder):
        typer.echo(path)
