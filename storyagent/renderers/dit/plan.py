"""The frame rules of a video diffusion model family: a render plan (size and frame counts that obey
the family's rules, split into chained segments) that is resampled back to exactly the film's frames."""

from __future__ import annotations

import math
from dataclasses import dataclass

from storyagent.renderers.dit.checkpoints import Family


# -- frame rules ---------------------------------------------------------------


@dataclass(frozen=True)
class RenderPlan:
    """What the model is asked for: one size, and segments chained by their shared first/last frame."""

    width: int
    height: int
    fps: int
    segments: list[int]  # frames per call; every segment after the first repeats the previous one's last frame
    stretched: bool  # True when a text-only model cannot continue and the clip is slowed to the shot's length

    @property
    def model_frames(self) -> int:
        return self.segments[0] + sum(n - 1 for n in self.segments[1:])


def snap_frames(count: int, family: Family) -> int:
    """The smallest frame_step*k+1 count >= count (at least one step)."""
    return max(1, math.ceil((count - 1) / family.frame_step)) * family.frame_step + 1


def segment_limit(family: Family, segment_frames: int | None) -> int:
    limit = min(segment_frames or family.max_frames, family.max_frames)
    return max(1, (limit - 1) // family.frame_step) * family.frame_step + 1


def model_size(width: int, height: int, family: Family) -> tuple[int, int]:
    """The film's aspect ratio at no more than the family's trained area, on its size grid."""
    if family.native_size:
        return family.native_size
    scale = min(1.0, math.sqrt(family.max_area / (width * height)))
    m = family.size_multiple
    return max(m, round(width * scale / m) * m), max(m, round(height * scale / m) * m)


def plan_render(frames: int, fps: int, width: int, height: int, family: Family,
                can_continue: bool, segment_frames: int | None = None) -> RenderPlan:
    """Frames the model makes for a shot of `frames` at `fps`, at its own frame rate."""
    needed = round((frames - 1) / fps * family.fps) + 1
    limit = segment_limit(family, segment_frames)
    w, h = model_size(width, height, family)
    if family.fixed_frames:
        calls = 1 if not can_continue else max(1, math.ceil((needed - 1) / (limit - 1)))
        return RenderPlan(w, h, family.fps, [limit] * calls, stretched=needed > limit and not can_continue)
    if needed <= limit or not can_continue:
        return RenderPlan(w, h, family.fps, [min(snap_frames(needed, family), limit)], stretched=needed > limit)
    segments = [limit]
    made = limit
    while made < needed:
        segments.append(min(limit, snap_frames(needed - made + 1, family)))
        made += segments[-1] - 1
    return RenderPlan(w, h, family.fps, segments, stretched=False)
