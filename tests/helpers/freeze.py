"""Frozen stretches of a shot, as ffmpeg's `freezedetect` finds them (default noise, -60 dB): the shot's
frames are piped raw into the ffmpeg that moviepy and the project use, so no system ffmpeg is needed."""

from __future__ import annotations

import re
import subprocess

from storyagent.media.video import ffmpeg_exe
from storyagent.renderers.base import ShotJob, get_renderer
from storyagent.storyboard import Storyboard

LONGEST = 1.0  # seconds a shot may stand still


def frozen(board: Storyboard, shot_id: str, width: int = 320, height: int = 180, fps: int = 12,
           seconds: float | None = None) -> list[tuple[float, float]]:
    """The (start, length) in seconds of each stretch of at least LONGEST seconds with no change."""
    seconds = board.shot(shot_id).camera.duration if seconds is None else seconds
    job = ShotJob(board=board, shot_id=shot_id, frames=max(round(seconds * fps), 1), width=width, height=height,
                  fps=fps)
    ffmpeg = subprocess.Popen(
        [ffmpeg_exe(), "-hide_banner", "-nostats", "-f", "rawvideo", "-pix_fmt", "rgba", "-s", f"{width}x{height}",
         "-framerate", str(fps), "-i", "pipe:0", "-vf", f"freezedetect=d={LONGEST}", "-f", "null", "-"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert ffmpeg.stdin is not None
    for frame in get_renderer("animatic").frames(job):
        ffmpeg.stdin.write(frame.tobytes())
    _, log = ffmpeg.communicate()
    assert ffmpeg.returncode == 0, log.decode()[-500:]
    starts = [float(s) for s in re.findall(rb"freeze_start: ([\d.]+)", log)]
    lengths = [float(s) for s in re.findall(rb"freeze_duration: ([\d.]+)", log)]
    lengths += [job.frames / fps - start for start in starts[len(lengths):]]  # still frozen at the end
    return list(zip(starts, lengths))
