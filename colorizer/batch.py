"""Colorize many files: decode and encode in threads while the model runs in batches.

One bad file never stops the batch: it becomes a one-line error in the report.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import torch
from PIL import Image

from colorizer.imageio import DEFAULT_MAX_PIXELS, ImageLoadError, LoadedImage, load_image, output_format, save_image
from colorizer.inference import Colorizer
from colorizer.inputs import BatchItem, safe_output_path
from colorizer.panel import compose_panel


@dataclass
class ItemResult:
    """What happened to one input."""

    source: Path
    output: Path | None = None
    panel: Path | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class BatchReport:
    """Outcome of a batch run, with where the time went."""

    results: list[ItemResult]
    seconds: float
    model_seconds: float

    @property
    def failed(self) -> list[ItemResult]:
        return [r for r in self.results if r.error]

    @property
    def succeeded(self) -> list[ItemResult]:
        return [r for r in self.results if not r.error]

    @property
    def model_busy_fraction(self) -> float:
        return self.model_seconds / self.seconds if self.seconds else 0.0


@dataclass
class _Decoded:
    item: BatchItem
    image: LoadedImage
    luma: Image.Image
    prepared: tuple[torch.Tensor, tuple[int, int]]


def _one_line(source: Path, exc: BaseException) -> str:
    if isinstance(exc, ImageLoadError):
        return str(exc)
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{source}: {type(exc).__name__}: {text[:300]}"


def _one_torch_thread() -> None:
    """Decode/encode threads run PyTorch's tensor work (resizing, recombination) on one thread each:
    with two of them beside the net's own threads, an OpenMP team per thread would oversubscribe the
    cores and spin against each other (measured: recombination twice as slow in a pool thread)."""
    torch.set_num_threads(1)


class BatchColorizer:
    """Runs a :class:`Colorizer` over files; ``on_result`` is called once per input, in order of completion."""

    def __init__(
        self,
        colorizer: Colorizer,
        *,
        batch_size: int = 8,
        workers: int = 2,
        panel: bool = False,
        panel_height: int = 640,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        on_result: Callable[[ItemResult], None] | None = None,
    ) -> None:
        self.colorizer = colorizer
        self.batch_size = max(1, batch_size)
        self.workers = max(1, workers)
        self.panel = panel
        self.panel_height = panel_height
        self.max_pixels = max_pixels
        self.on_result = on_result or (lambda result: None)

    def _decode(self, item: BatchItem) -> _Decoded:
        image = load_image(item.source, max_pixels=self.max_pixels, luma_only=not self.panel)  # colour is only for the panel
        luma = image.luma_source if image.luma_source.mode == "L" else image.luma_source.convert("L")
        if not self.panel:
            image.luma_source = luma  # drop the colour original early: it is only needed as a panel
        return _Decoded(item, image, luma, self.colorizer.prepare(luma))

    def _finish(self, decoded: _Decoded, uv: torch.Tensor, sources: set[Path]) -> ItemResult:
        image = decoded.image
        result = ItemResult(decoded.item.source, notes=list(image.notes))
        colorized = self.colorizer.finish(decoded.luma, uv)
        fmt, extension = output_format(image.format)
        result.output = safe_output_path(decoded.item.output_stem, extension, sources)
        save_image(colorized, result.output, fmt, alpha=image.alpha, icc_profile=image.icc_profile, exif=image.exif)
        if self.panel:
            panels = [("gray", decoded.luma), ("auto", colorized)]
            if image.is_color:
                panels.append(("reference", image.luma_source))
            result.panel = safe_output_path(decoded.item.output_stem.with_name(decoded.item.output_stem.name + "_panel"), ".jpg", sources)
            save_image(compose_panel(panels, height=self.panel_height), result.panel, "JPEG")
        return result

    def _decoded_stream(self, pool: ThreadPoolExecutor, items: Sequence[BatchItem]) -> Iterator[tuple[BatchItem, Future[_Decoded]]]:
        """Decode ahead of the model, keeping a bounded number of images in memory."""
        window: deque[tuple[BatchItem, Future[_Decoded]]] = deque()
        ahead = self.batch_size + self.workers
        for item in items:
            window.append((item, pool.submit(self._decode, item)))
            if len(window) > ahead:
                yield window.popleft()
        yield from window

    def run(self, items: Sequence[BatchItem]) -> BatchReport:
        started = time.perf_counter()
        model_seconds = 0.0
        results: list[ItemResult] = []
        sources = {item.source.resolve() for item in items}
        pending: deque[tuple[Path, Future[ItemResult]]] = deque()

        def report(result: ItemResult) -> None:
            results.append(result)
            self.on_result(result)

        def drain(limit: int) -> None:
            while len(pending) > limit:
                source, future = pending.popleft()
                try:
                    report(future.result())
                except Exception as exc:  # one bad file never stops the batch
                    report(ItemResult(source, error=_one_line(source, exc)))

        with ThreadPoolExecutor(self.workers, thread_name_prefix="colorbot-io", initializer=_one_torch_thread) as pool:
            batch: list[_Decoded] = []

            def flush() -> None:
                nonlocal model_seconds
                if not batch:
                    return
                tick = time.perf_counter()
                try:
                    chroma = self.colorizer.predict([d.prepared for d in batch])
                except Exception as exc:
                    for decoded in batch:
                        report(ItemResult(decoded.item.source, error=_one_line(decoded.item.source, exc)))
                else:
                    model_seconds += time.perf_counter() - tick
                    for decoded, uv in zip(batch, chroma):
                        pending.append((decoded.item.source, pool.submit(self._finish, decoded, uv, sources)))
                batch.clear()
                drain(2 * self.workers)

            for item, future in self._decoded_stream(pool, items):
                try:
                    batch.append(future.result())
                except Exception as exc:
                    report(ItemResult(item.source, error=_one_line(item.source, exc)))
                if len(batch) >= self.batch_size:
                    flush()
            flush()
            drain(0)
        return BatchReport(results, time.perf_counter() - started, model_seconds)
