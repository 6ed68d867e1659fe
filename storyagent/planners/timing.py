"""What both planners share about time and edges: shot lengths that add up to
the target while every shot keeps the seconds its narration needs, and the
transitions that frame a film (fade in, dissolve between scenes, fade out)."""

from __future__ import annotations

from storyagent.storyboard import Scene, Transition, TransitionKind
from storyagent.storyboard.language import LEAD_IN, TAIL, lines_seconds

MIN_SHOT = 2.5  # seconds: shorter reads as a flash


def seconds_needed(texts: list[str], language: str) -> float:
    """Screen time the lines need, with the timeline's lead-in and tail, so the shot never stretches."""
    return round(lines_seconds(texts, language) + LEAD_IN + TAIL, 3) if texts else 0.0


def fit_durations(floors: list[float], weights: list[float], target: float) -> list[float]:
    """Share `target` seconds by weight, never below a shot's floor (rounded up to 0.1 s)."""
    floors = [max(MIN_SHOT, f) for f in floors]
    low, high = 0.0, target
    for _ in range(60):  # bisect the seconds-per-weight that fills the target
        k = (low + high) / 2
        if sum(max(f, k * w) for f, w in zip(floors, weights)) > target:
            high = k
        else:
            low = k
    return [round(max(f, low * w) + 0.049, 1) for f, w in zip(floors, weights)]


def frame_transitions(scenes: list[Scene]) -> None:
    """Fade in from black, dissolve into each new scene, fade out to black."""
    for i, scene in enumerate(scenes):
        first = scene.shots[0]
        first.transition_in = (
            Transition(kind=TransitionKind.FADE_IN, duration=1.0)
            if i == 0
            else Transition(kind=TransitionKind.DISSOLVE, duration=0.8)
        )
    scenes[-1].shots[-1].transition_out = Transition(kind=TransitionKind.FADE_OUT, duration=1.5)
