"""Black-and-white films: colour from the image model, stable in time, with luminance, audio and timing kept.

``VideoColorizer`` is the entry point; ``probe_video`` and ``VideoError`` describe and reject
files; ``VIDEO_EXTENSIONS`` is what ``colorbot colorize`` treats as video.
"""

from colorizer.video.formats import VIDEO_EXTENSIONS
from colorizer.video.pipeline import VideoColorizer, VideoResult
from colorizer.video.probe import SourceVideo, VideoError, probe_video
from colorizer.video.temporal import TemporalSettings

__all__ = ["VIDEO_EXTENSIONS", "SourceVideo", "TemporalSettings", "VideoColorizer", "VideoError", "VideoResult", "probe_video"]
