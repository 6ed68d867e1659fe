"""The timeline: the single source of timing for render, sound, subtitles and
exports. Built from the storyboard and the *measured* length of every spoken
line, so a shot is never shorter than what is said in it.

Film time runs: title card, shots (a dissolve or wipe overlaps the end of one
shot with the start of the next), end credits.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from storyagent.errors import UnknownIdError
from storyagent.storyboard import Mood, Storyboard, TransitionKind
from storyagent.storyboard.language import LEAD_IN, PAUSE_BETWEEN_LINES, TAIL
from storyagent.storyboard.problems import unknown_id
from storyagent.voice.speak import SpokenLine

OVERLAPPING = {TransitionKind.DISSOLVE, TransitionKind.WIPE}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VoicePlacement(_Model):
    line: SpokenLine
    start: float = Field(description="Film seconds where the line starts.")


class ShotPlacement(_Model):
    shot_id: str
    scene_id: str
    start: float = Field(description="Film seconds where the shot's first frame shows.")
    duration: float = Field(description="Seconds of picture rendered for the shot, overlaps included.")
    transition_in: TransitionKind
    transition_in_duration: float = Field(description="Seconds overlapped with (or faded from) what comes before.")
    transition_out: TransitionKind
    transition_out_duration: float

    @property
    def end(self) -> float:
        return self.start + self.duration


class EffectPlacement(_Model):
    tag: str
    shot_id: str
    start: float
    duration: float
    volume_db: float = 0.0
    ambience: bool = Field(default=False, description="A location bed rather than a cue from the storyboard.")


class MusicSection(_Model):
    scene_id: str
    mood: Mood
    start: float
    duration: float


class Card(_Model):
    kind: str = Field(description="'title' or 'credits'.")
    start: float
    duration: float


class Timeline(_Model):
    fps: int
    width: int
    height: int
    duration: float
    cards: list[Card]
    shots: list[ShotPlacement]
    voice: list[VoicePlacement]
    effects: list[EffectPlacement] = Field(default_factory=list)
    music: list[MusicSection]

    def shot(self, shot_id: str) -> ShotPlacement:
        for placement in self.shots:
            if placement.shot_id == shot_id:
                return placement
        raise UnknownIdError(unknown_id("shot", shot_id, {s.shot_id for s in self.shots}))

    def frames(self, seconds: float) -> int:
        return round(seconds * self.fps)

    @property
    def frame_count(self) -> int:
        return self.frames(self.duration)

    def overlap_frames(self, index: int) -> int:
        """Frames the shot at `index` shares with the shot before it (a dissolve or wipe)."""
        if index == 0:
            return 0
        before, shot = self.shots[index - 1], self.shots[index]
        return max(0, self.frames(before.start) + self.frames(before.duration) - self.frames(shot.start))

    def fade_frames(self, index: int) -> tuple[int, int]:
        """Frames the shot at `index` rises from black at its start and sinks to black at its end."""
        shot = self.shots[index]
        rise = shot.transition_in_duration if shot.transition_in == TransitionKind.FADE_IN else 0.0
        sink = shot.transition_out_duration if shot.transition_out == TransitionKind.FADE_OUT else 0.0
        return self.frames(rise), self.frames(sink)

    def edges(self, shot_id: str) -> tuple[int, int]:
        """Frames at the head and tail of a shot that the editor blends with a
        neighbour or with black; the frames between them show as rendered."""
        index = self.shots.index(self.shot(shot_id))
        rise, sink = self.fade_frames(index)
        following = self.overlap_frames(index + 1) if index + 1 < len(self.shots) else 0
        return max(rise, self.overlap_frames(index)), max(sink, following)


def shot_length(planned: float, line_durations: list[float]) -> float:
    """A shot lasts as planned, or longer when its lines need the time."""
    if not line_durations:
        return planned
    spoken = sum(line_durations) + PAUSE_BETWEEN_LINES * (len(line_durations) - 1)
    return max(planned, LEAD_IN + spoken + TAIL)


def build_timeline(
    board: Storyboard,
    spoken: list[SpokenLine],
    *,
    fps: int | None = None,
    width: int | None = None,
    height: int | None = None,
    title_seconds: float = 3.0,
    credits_seconds: float = 4.0,
) -> Timeline:
    fps = fps or board.render.fps
    by_shot: dict[str, list[SpokenLine]] = {}
    for line in sorted(spoken, key=lambda l: l.index):
        by_shot.setdefault(line.shot_id, []).append(line)

    def snap(seconds: float) -> float:  # every boundary on a frame, so exports agree to the frame
        return round(seconds * fps) / fps

    cards = [Card(kind="title", start=0.0, duration=snap(title_seconds))] if title_seconds > 0 else []
    cursor = snap(title_seconds) if title_seconds > 0 else 0.0
    shots: list[ShotPlacement] = []
    voice: list[VoicePlacement] = []
    effects: list[EffectPlacement] = []
    music: list[MusicSection] = []

    for scene in board.scenes:
        scene_start = cursor
        for shot in scene.shots:
            lines = by_shot.get(shot.id, [])
            kind_in = shot.transition_in.kind
            overlap = 0.0
            if shots and kind_in in OVERLAPPING:
                overlap = snap(min(shot.transition_in.duration, shot.camera.duration / 3, shots[-1].duration / 3))
            # The overlap shows the previous shot too: speech waits for it, so the shot grows by it.
            spoken_length = shot_length(shot.camera.duration - overlap, [l.duration for l in lines])
            duration = snap(max(shot.camera.duration, overlap + spoken_length))
            start = snap(cursor - overlap)
            placement = ShotPlacement(
                shot_id=shot.id,
                scene_id=scene.id,
                start=start,
                duration=duration,
                transition_in=kind_in,
                transition_in_duration=overlap if kind_in in OVERLAPPING else _edge(shot.transition_in, duration),
                transition_out=shot.transition_out.kind,
                transition_out_duration=_edge(shot.transition_out, duration),
            )
            shots.append(placement)
            # Speech starts after the overlap, so a line is never heard over the previous shot.
            at = start + overlap + LEAD_IN
            for line in lines:
                voice.append(VoicePlacement(line=line, start=at))
                at += line.duration + PAUSE_BETWEEN_LINES
            for cue in shot.sound:
                cue_start = min(cue.at, duration)
                length = cue.duration if cue.duration is not None else duration - cue_start
                effects.append(
                    EffectPlacement(
                        tag=cue.tag,
                        shot_id=shot.id,
                        start=start + cue_start,
                        duration=max(0.05, min(length, duration - cue_start)),
                        volume_db=cue.volume_db,
                    )
                )
            cursor = start + duration
        music.append(MusicSection(scene_id=scene.id, mood=scene.mood, start=scene_start, duration=cursor - scene_start))

    if credits_seconds > 0:
        cards.append(Card(kind="credits", start=cursor, duration=snap(credits_seconds)))
        cursor += snap(credits_seconds)
    # Music carries over the title and credits so the film opens and closes with the score.
    if music:
        music[0].duration += music[0].start
        music[0].start = 0.0
        music[-1].duration = cursor - music[-1].start

    return Timeline(
        fps=fps,
        width=width or board.render.width,
        height=height or board.render.height,
        duration=snap(cursor),
        cards=cards,
        shots=shots,
        voice=voice,
        effects=effects,
        music=music,
    )


def _edge(transition, shot_duration: float) -> float:
    if transition.kind == TransitionKind.CUT:
        return 0.0
    return min(transition.duration, shot_duration / 3)
