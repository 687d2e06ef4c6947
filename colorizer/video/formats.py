"""Which pixel layout and encoder a colorized video gets, decided once from the source.

The output keeps the source's container wherever PyAV's FFmpeg has an encoder that container
holds, and its pixel layout (subsampling, bit depth, range) wherever that encoder takes it, so
the decoder's Y plane can go to the encoder untouched. Where neither is possible the plan says
what changed and why, in a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from colorizer.inputs import VIDEO_EXTENSIONS  # noqa: F401 - re-exported: the one list of video file names


@dataclass(frozen=True)
class PlanarLayout:
    """A planar YUV (or gray) pixel format as the colorizer sees it."""

    name: str  # FFmpeg's pix_fmt, with yuvj* folded into yuv* (range travels separately)
    bits: int
    shift_x: int  # log2 of horizontal chroma subsampling
    shift_y: int
    has_chroma: bool = True
    full_range: bool = False  # the yuvj* formats: full range whatever the frame says

    @property
    def dtype(self) -> str:
        return "<u2" if self.bits > 8 else "u1"


def _layouts() -> dict[str, PlanarLayout]:
    table: dict[str, PlanarLayout] = {}
    for sub, (sx, sy) in {"420": (1, 1), "422": (1, 0), "444": (0, 0)}.items():
        table[f"yuv{sub}p"] = PlanarLayout(f"yuv{sub}p", 8, sx, sy)
        table[f"yuvj{sub}p"] = PlanarLayout(f"yuv{sub}p", 8, sx, sy, full_range=True)
        table[f"yuv{sub}p10le"] = PlanarLayout(f"yuv{sub}p10le", 10, sx, sy)
    table["gray"] = PlanarLayout("gray", 8, 0, 0, has_chroma=False)
    table["gray10le"] = PlanarLayout("gray10le", 10, 0, 0, has_chroma=False)
    return table


LAYOUTS = _layouts()


def decoded_layout(pix_fmt: str, bits_hint: int = 8) -> tuple[PlanarLayout, bool]:
    """The layout frames are read in, and whether FFmpeg must convert them first (packed RGB, nv12, …)."""
    if pix_fmt in LAYOUTS:
        return LAYOUTS[pix_fmt], False
    return (LAYOUTS["yuv420p10le"] if bits_hint > 8 else LAYOUTS["yuv420p"]), True


def output_layout(layout: PlanarLayout, width: int, height: int, odd_subsampling: bool = False) -> PlanarLayout:
    """What the encoder gets: gray gains 4:2:0 chroma planes; an odd-sized subsampled frame becomes
    4:4:4 unless the encoder takes odd sizes (``odd_subsampling``)."""
    depth = "10le" if layout.bits > 8 else ""
    base = layout if layout.has_chroma else LAYOUTS[f"yuv420p{depth}"]
    odd = (base.shift_x and width % 2) or (base.shift_y and height % 2)
    return LAYOUTS[f"yuv444p{depth}"] if odd and not odd_subsampling else LAYOUTS[base.name]


@dataclass(frozen=True)
class Encoder:
    """An FFmpeg video encoder and the layouts it takes."""

    codec: str
    family: str  # the codec's (decoder's) name: h264, vp9, …
    layouts: frozenset[str]
    options: tuple[tuple[str, str], ...] = ()
    odd_subsampling: bool = False  # takes 4:2:0 frames of odd width or height

    def options_for(self, quality: int) -> dict[str, str]:
        return {key: value.format(q=quality) for key, value in self.options}


_X264 = Encoder("libx264", "h264", frozenset(n for n in LAYOUTS if n.startswith("yuv")), (("crf", "{q}"), ("preset", "veryfast")))
_VP9 = Encoder("libvpx-vp9", "vp9", frozenset({"yuv420p", "yuv422p", "yuv444p"}),
               (("crf", "{q}"), ("b", "0"), ("deadline", "realtime"), ("cpu-used", "8"), ("row-mt", "1")), True)
_VP8 = Encoder("libvpx", "vp8", frozenset({"yuv420p"}), (("crf", "{q}"), ("b", "20M"), ("deadline", "realtime"), ("cpu-used", "8")), True)
# MPEG-4 Part 2 for AVI: FFmpeg's H.264 decoder assumes one frame of reordering in AVI (no pts there), shifting every frame.
_MPEG4 = Encoder("mpeg4", "mpeg4", frozenset({"yuv420p"}), (("b", "12M"), ("qmin", "1"), ("qmax", "{q}")), True)
_MPEG2 = Encoder("mpeg2video", "mpeg2video", frozenset({"yuv420p", "yuv422p"}), (("b", "12M"), ("qmin", "1"), ("qmax", "{q}")), True)

# Extension → FFmpeg muxer; muxer → encoders to try, best first. Anything else: libx264 in Matroska.
MUXER_OF_EXTENSION = {
    ".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm", ".avi": "avi",
    ".ogv": "ogg", ".mpg": "mpeg", ".mpeg": "mpeg", ".ts": "mpegts", ".m2ts": "mpegts", ".mts": "mpegts",
    ".flv": "flv", ".3gp": "3gp",
}
_BY_MUXER: dict[str, tuple[Encoder, ...]] = {
    "mp4": (_X264,), "mov": (_X264,), "matroska": (_X264,), "avi": (_MPEG4, _X264), "mpegts": (_X264,),
    "flv": (_X264,), "3gp": (_X264,), "webm": (_VP9, _VP8), "ogg": (_VP8,), "mpeg": (_MPEG2,),
}
FALLBACK_MUXER, FALLBACK_EXTENSION = "matroska", ".mkv"
# Default quality on each encoder's own scale (CRF; qmax for MPEG-2/4): near-transparent, at fast presets.
_QUALITY = {"libx264": 18, "libvpx-vp9": 28, "libvpx": 8, "mpeg2video": 3, "mpeg4": 3}


@dataclass
class OutputPlan:
    """Container, encoder and pixel layout of one colorized video, and why they differ from the source's."""

    muxer: str
    extension: str
    encoder: Encoder
    layout: PlanarLayout
    quality: int
    notes: list[str] = field(default_factory=list)


def plan_output(extension: str, source_codec: str, layout: PlanarLayout, width: int, height: int,
                quality: int | None = None) -> OutputPlan:
    """Choose the output for a source file with ``extension`` whose video is ``source_codec`` in ``layout``."""
    muxer = MUXER_OF_EXTENSION.get(extension.lower())
    for encoder in _BY_MUXER.get(muxer or "", ()):
        target = output_layout(layout, width, height, encoder.odd_subsampling)
        if target.name in encoder.layouts:
            notes = _layout_notes(layout, target, width, height)
            if encoder.family != source_codec:
                notes.append(f"video encoded as {encoder.family} (the source is {source_codec})")
            return OutputPlan(muxer or FALLBACK_MUXER, extension, encoder, target, _quality(encoder, quality), notes)
    target = output_layout(layout, width, height, _X264.odd_subsampling)
    notes = _layout_notes(layout, target, width, height)
    notes.append(f"written as Matroska ({FALLBACK_EXTENSION}) with libx264: PyAV's FFmpeg has no encoder for "
                 f"{target.name} in a {extension or 'extension-less'} file")
    return OutputPlan(FALLBACK_MUXER, FALLBACK_EXTENSION, _X264, target, _quality(_X264, quality), notes)


def _layout_notes(source: PlanarLayout, target: PlanarLayout, width: int, height: int) -> list[str]:
    if target.name == source.name:
        return []
    return [f"{source.name} {width}x{height} is written as {target.name} (the encoder needs chroma planes of that shape; Y is unchanged)"]


def _quality(encoder: Encoder, quality: int | None) -> int:
    return _QUALITY[encoder.codec] if quality is None else quality
