"""The storyboard: the director's document, the planner's output, every later
stage's input. The field descriptions here are the documentation: they feed the
JSON Schema (`storyagent schema`), the LLM planner's prompt and the reader.

A file on disk is *canonical* when saving it again gives the same bytes:
fields in model order, 2-space indent, UTF-8 with non-ASCII kept as is and a
trailing newline.
"""

from __future__ import annotations

import json
import os
import re
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from storyagent.cache import write_text_atomic
from storyagent.errors import StoryboardError, UnknownIdError
from storyagent.storyboard.files import SCHEMA_VERSION, decode, migrate, parse
from storyagent.storyboard.problems import describe_validation_error, unknown_id
from storyagent.world import world

NARRATOR = "narrator"


# Characters no text in a storyboard may hold: control characters (NUL, ESC and the rest of C0 and C1; a
# terminal acts on them and ffmpeg's text filters stop at NUL), lone surrogate halves (they cannot be written
# as UTF-8), bidirectional overrides (they reorder what is shown) and the non-characters U+FFFE/U+FFFF.
# Names are one line; longer texts may also hold tabs and line breaks.
_NOT_IN_TEXT = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069\ufffe\uffff"
_BAD_IN_TEXT = re.compile(f"[{_NOT_IN_TEXT}]")
_BAD_IN_NAME = re.compile(f"[{_NOT_IN_TEXT}\t\n\r\u2028\u2029]")


def _checked(pattern: re.Pattern[str]) -> AfterValidator:
    def check(text: str) -> str:
        bad = pattern.search(text)
        if bad:
            raise PydanticCustomError(
                "control_character", "holds the invisible character U+{code} at position {at}; remove it",
                {"code": f"{ord(bad.group()):04X}", "at": bad.start()},
            )
        return text

    return AfterValidator(check)


Name = Annotated[str, _checked(_BAD_IN_NAME)]  # a one-line string: names, titles, tags, settings
Prose = Annotated[str, _checked(_BAD_IN_TEXT)]  # a string that may run over several lines

Id = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        max_length=64,
        description="Identifier: lower-case letters, digits, '-' and '_'.",
    ),
]
Text = Annotated[Prose, Field(max_length=4000)]
NonBlank = Annotated[Name, Field(min_length=1, max_length=200, pattern=r"\S")]
Seconds = Annotated[float, Field(gt=0, le=3600, description="Seconds, greater than 0.")]
Seed = Annotated[int, Field(ge=0, lt=2**32, description="Random seed (0 .. 2^32-1).")]
# A frame's size and rate: the storyboard's render settings and every run's options share these bounds.
Width = Annotated[int, Field(ge=64, le=7680, multiple_of=2, description="Frame width in pixels (64 .. 7680, even).")]
Height = Annotated[int, Field(ge=64, le=4320, multiple_of=2, description="Frame height in pixels (64 .. 4320, even).")]
Fps = Annotated[int, Field(ge=1, le=120, description="Frames per second (1 .. 120).")]


def _known_biome(name: str) -> str:
    """A biome is any card of the world (storyagent/world/biomes.json or STORYAGENT_WORLD): checked like an
    enum, so the error names the JSON path, the allowed names and the nearest one."""
    names = world().biome_names()
    if name not in names:
        expected = ", ".join(repr(n) for n in names[:-1]) + f" or {names[-1]!r}" if len(names) > 1 else repr(names[0])
        raise PydanticCustomError("enum", "Input should be {expected}", {"expected": expected})
    return name


def _list_biomes(schema: dict[str, Any]) -> None:
    schema["enum"] = world().biome_names()


BiomeName = Annotated[
    str,
    AfterValidator(_known_biome),
    Field(json_schema_extra=_list_biomes, description="Kind of environment: a biome of the world."),
]


class _Vocabulary(str, Enum):
    """An enum whose members carry a one-line description for help and prompts."""

    description: str

    def __new__(cls, value: str, description: str = "") -> _Vocabulary:
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member

    def __str__(self) -> str:
        return self.value

    @classmethod
    def glossary(cls) -> str:
        return "; ".join(f"{m.value}: {m.description}" for m in cls)


class ShotSize(_Vocabulary):
    """How much of the subject the frame shows."""

    EXTREME_WIDE = "extreme-wide", "the place dominates; characters are specks (establishing)"
    WIDE = "wide", "the whole place and the characters in it (establishing)"
    FULL = "full", "a character head to toe"
    MEDIUM_WIDE = "medium-wide", "a character from the knees up"
    MEDIUM = "medium", "a character from the waist up"
    MEDIUM_CLOSE_UP = "medium-close-up", "head and shoulders"
    CLOSE_UP = "close-up", "the face fills the frame: emotion"
    EXTREME_CLOSE_UP = "extreme-close-up", "a detail of the face: eyes, a tear"
    INSERT = "insert", "a detail of an object or prop"


class CameraAngle(_Vocabulary):
    """Where the camera stands relative to the subject."""

    EYE_LEVEL = "eye-level", "level with the subject's eyes: neutral"
    LOW = "low", "below looking up: the subject looks big or heroic"
    HIGH = "high", "above looking down: the subject looks small or lonely"
    BIRDS_EYE = "birds-eye", "straight down from high above: a map of the scene"
    WORMS_EYE = "worms-eye", "from the ground looking up: towering"
    DUTCH = "dutch", "tilted horizon: unease"


class CameraMovement(_Vocabulary):
    """What the camera does over the shot's duration."""

    STATIC = "static", "the camera does not move"
    PAN_LEFT = "pan-left", "turns left on its axis"
    PAN_RIGHT = "pan-right", "turns right on its axis"
    TILT_UP = "tilt-up", "turns up on its axis"
    TILT_DOWN = "tilt-down", "turns down on its axis"
    DOLLY_IN = "dolly-in", "moves toward the subject (push-in: emotion, attention)"
    DOLLY_OUT = "dolly-out", "moves away from the subject (pull-out: reveal, ending)"
    TRUCK_LEFT = "truck-left", "slides sideways to the left"
    TRUCK_RIGHT = "truck-right", "slides sideways to the right"
    PEDESTAL_UP = "pedestal-up", "rises straight up"
    PEDESTAL_DOWN = "pedestal-down", "lowers straight down"
    CRANE_UP = "crane-up", "rises and widens: lift, reveal, ending"
    CRANE_DOWN = "crane-down", "descends into the scene: arrival"
    ZOOM_IN = "zoom-in", "lens zooms in without moving"
    ZOOM_OUT = "zoom-out", "lens zooms out without moving"
    TRACKING = "tracking", "travels with a moving subject, keeping it framed (journeys)"
    ORBIT = "orbit", "circles around the subject"
    HANDHELD = "handheld", "small shaky movement: urgency, realism"


class TransitionKind(_Vocabulary):
    """How one shot gives way to the next."""

    CUT = "cut", "instant change"
    DISSOLVE = "dissolve", "cross-fade between the two shots: time passes"
    FADE_IN = "fade-in", "from black (film or sequence start)"
    FADE_OUT = "fade-out", "to black (film or sequence end)"
    WIPE = "wipe", "the next shot wipes across the frame"


class ScreenDirection(_Vocabulary):
    """Which way a character faces or travels on screen."""

    LEFT_TO_RIGHT = "left-to-right", "moves or faces toward screen right"
    RIGHT_TO_LEFT = "right-to-left", "moves or faces toward screen left"
    TOWARD_CAMERA = "toward-camera", "comes toward the viewer"
    AWAY_FROM_CAMERA = "away-from-camera", "goes away from the viewer"
    NEUTRAL = "neutral", "no particular direction"


class Motion(_Vocabulary):
    """The body motion a renderer animates for a character."""

    IDLE = "idle", "stands, breathing"
    WALK = "walk", "walks with a bob"
    RUN = "run", "runs, faster bob"
    SWIM = "swim", "swims, bobbing in water"
    FLY = "fly", "flies, gliding"
    JUMP = "jump", "jumps or hops"
    WAVE = "wave", "waves or greets"
    SIT = "sit", "sits or rests"
    SLEEP = "sleep", "sleeps, slow breathing"
    LOOK = "look", "looks around"
    TALK = "talk", "speaks, small gestures"
    DANCE = "dance", "dances or celebrates"
    WORK = "work", "busy hands: builds, digs, mends, paints"


class Mood(_Vocabulary):
    """The emotional colour of a scene; it drives the music."""

    CALM = "calm", "quiet, peaceful"
    TENDER = "tender", "warm, loving"
    JOYFUL = "joyful", "happy, bright"
    PLAYFUL = "playful", "light, funny"
    ADVENTUROUS = "adventurous", "on the move, hopeful"
    TENSE = "tense", "danger, suspense"
    SAD = "sad", "loss, loneliness"
    MYSTERIOUS = "mysterious", "wonder, the unknown"
    TRIUMPHANT = "triumphant", "victory, arrival"
    EPIC = "epic", "vast, grand"


class TimeOfDay(_Vocabulary):
    """Light of the scene."""

    DAWN = "dawn", "early light, pink and gold"
    DAY = "day", "full daylight"
    DUSK = "dusk", "sunset, orange and purple"
    NIGHT = "night", "dark, moon and stars"


class Weather(_Vocabulary):
    """Weather over the place; drawn as particles and heard as ambience."""

    CLEAR = "clear", "no weather"
    CLOUDY = "cloudy", "clouds, no precipitation"
    SNOW = "snow", "falling snow"
    RAIN = "rain", "falling rain"
    FOG = "fog", "mist that hides the distance"
    STORM = "storm", "wind and heavy snow or rain"


class Facing(_Vocabulary):
    """Which way a character's picture faces when not told otherwise."""

    LEFT = "left", "faces screen left"
    RIGHT = "right", "faces screen right"


class _Model(BaseModel):
    """Strict: unknown fields are errors, never silently dropped."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Visual(_Model):
    """How a character looks: fixed for the whole film by the cast."""

    keywords: list[NonBlank] = Field(
        default_factory=list,
        description="Nouns that name what the character is, most specific first "
        "(e.g. ['polar bear', 'bear']); used to find its icon and in model prompts.",
    )
    icon: Name | None = Field(
        default=None,
        max_length=100,
        description="Icon name in the bundled icon library; empty means chosen from the keywords.",
    )
    tint: str | None = Field(
        default=None,
        pattern=r"^#[0-9a-fA-F]{6}$",
        description="Optional colour (#rrggbb) blended over the icon to tell look-alikes apart.",
    )
    scale: float = Field(
        default=1.0,
        gt=0,
        le=20,
        description="Size relative to an adult human (1.0); a polar bear is about 1.4, a penguin 0.5. "
        "Left at 1.0, the cast gives it the world's size for what its keywords name.",
    )
    count: int = Field(
        default=1,
        ge=1,
        le=12,
        description="How many of them appear together: 1 for a single character, more for a group "
        "that acts as one (a colony of penguins, a flock of gulls).",
    )
    facing: Facing = Field(default=Facing.RIGHT, description="Which way the character faces by default.")
    reference_image: Name | None = Field(
        default=None,
        max_length=500,
        description="Path, relative to the storyboard's folder, of a reference image for model "
        "renderers; empty means the cast's generated sheet.",
    )


class Voice(_Model):
    """How the narrator or a character sounds: fixed for the whole film by the cast."""

    engine: Name | None = Field(
        default=None, max_length=40, description="TTS engine (piper, espeak, openai, coqui); empty means automatic."
    )
    voice: Name | None = Field(
        default=None, max_length=200, description="Engine-specific voice or speaker name; empty means the engine's default."
    )
    pitch: float = Field(default=0.0, ge=-12, le=12, description="Pitch shift in semitones.")
    rate: float = Field(default=1.0, ge=0.5, le=2.0, description="Speaking-rate multiplier (1.0 = normal).")


class Character(_Model):
    """Someone or something that appears on screen."""

    id: Id
    name: NonBlank = Field(description="Display name, used in narration and credits.")
    description: Text = Field(default="", description="Appearance and personality, one or two sentences.")
    visual: Visual = Field(default_factory=Visual, description="Look, fixed for the film.")
    voice: Voice = Field(default_factory=Voice, description="Voice for the character's dialogue.")
    seed: Seed = Field(default=0, description="Seed that fixes the character's generated look.")


class Location(_Model):
    """A place where scenes happen; it looks the same in every shot."""

    id: Id
    name: NonBlank = Field(description="Display name of the place.")
    description: Text = Field(default="", description="What the place looks like.")
    biome: BiomeName
    time_of_day: TimeOfDay = Field(default=TimeOfDay.DAY, description="Light.")
    weather: Weather = Field(default=Weather.CLEAR, description="Weather.")
    props: list[NonBlank] = Field(
        default_factory=list, description="Things that stand in the place (icon keywords, e.g. 'iceberg', 'pine tree')."
    )
    seed: Seed = Field(default=0, description="Seed that fixes the place's layout.")


class OnScreen(_Model):
    """A character in a shot and what it does."""

    character: Id = Field(description="Id of a character in `characters`.")
    action: Text = Field(default="", description="What the character does, in words.")
    motion: Motion = Field(default=Motion.IDLE, description="Body motion to animate.")
    direction: ScreenDirection = Field(
        default=ScreenDirection.NEUTRAL, description="Screen direction of travel or gaze (keep it for travel)."
    )
    progress: float | None = Field(
        default=None, ge=0, le=1,
        description="For a thing being built, grown or worn away: how much of it stands, from 0 (nothing yet) "
        "to 1 (whole), drawn from the ground up; empty means whole.",
    )


class Camera(_Model):
    """The camera direction of a shot."""

    size: ShotSize = Field(description=ShotSize.__doc__ or "")
    angle: CameraAngle = Field(default=CameraAngle.EYE_LEVEL, description=CameraAngle.__doc__ or "")
    movement: CameraMovement = Field(default=CameraMovement.STATIC, description=CameraMovement.__doc__ or "")
    duration: Seconds = Field(description="Planned length of the shot in seconds; speech can lengthen it.")
    subject: Id | None = Field(
        default=None, description="Id of the character the camera frames; empty means the first on screen."
    )


class Line(_Model):
    """One spoken line: narration or a character's dialogue."""

    speaker: Id = Field(default=NARRATOR, description="'narrator' or the id of a character.")
    text: Text = Field(min_length=1, pattern=r"\S", description="The words, in the storyboard's language.")


class SoundCue(_Model):
    """A sound effect placed in a shot."""

    tag: NonBlank = Field(description="Effect name from the sound library (e.g. 'footsteps-snow', 'waves').")
    at: float = Field(default=0.0, ge=0, le=3600, description="Start, in seconds from the shot's start.")
    duration: float | None = Field(
        default=None, gt=0, le=3600, description="Length in seconds; empty means until the shot ends."
    )
    volume_db: float = Field(default=0.0, ge=-60, le=12, description="Gain in dB relative to the library level.")


class Transition(_Model):
    """A transition at one edge of a shot."""

    kind: TransitionKind = Field(default=TransitionKind.CUT, description=TransitionKind.__doc__ or "")
    duration: float = Field(default=0.5, ge=0, le=10, description="Seconds; ignored for a cut.")


class Shot(_Model):
    """One continuous camera take."""

    id: Id = Field(description="Stable id of the shot; keep it when editing so only changed shots re-render.")
    description: Text = Field(default="", description="What the viewer sees, in one sentence.")
    characters: list[OnScreen] = Field(default_factory=list, description="Characters on screen.")
    camera: Camera
    lines: list[Line] = Field(default_factory=list, description="Narration and dialogue spoken over this shot, in order.")
    sound: list[SoundCue] = Field(default_factory=list, description="Sound effects in this shot.")
    music_mood: Mood | None = Field(default=None, description="Overrides the scene's mood for the music; empty follows the scene.")
    transition_in: Transition = Field(default_factory=Transition, description="How the shot begins.")
    transition_out: Transition = Field(default_factory=Transition, description="How the shot ends.")


class Scene(_Model):
    """A run of shots in one place and time."""

    id: Id
    location: Id = Field(description="Id of a location in `locations`.")
    summary: Text = Field(default="", description="What happens in the scene, one or two sentences.")
    mood: Mood = Field(default=Mood.CALM, description=Mood.__doc__ or "")
    shots: list[Shot] = Field(min_length=1, description="The scene's shots, in order.")


class RenderSettings(_Model):
    """How the film is rendered when the command line does not say otherwise."""

    renderer: Name = Field(default="animatic", max_length=40, description="Shot renderer: animatic (CPU) or dit (GPU).")
    model: Name | None = Field(default=None, max_length=500, description="Local model folder for the dit renderer.")
    width: Width = 1280
    height: Height = 720
    fps: Fps = 24


class StoryKind(_Vocabulary):
    """The kind of story a premise tells; it chooses the story arc."""

    QUEST = "quest", "travel to reach a place or someone (visit, go, fly to, cross)"
    BUILD = "build", "make something, shown stage by stage (build, bake, paint, plant)"
    SEARCH = "search", "look for someone or something lost, and find it"
    RESCUE = "rescue", "save or help someone in trouble"
    RACE = "race", "a contest against a rival or the clock"
    LEARN = "learn", "learn a skill or join a group (learn to fly, join the choir)"
    SURVIVE = "survive", "weather a storm or a danger together"
    BEFRIEND = "befriend", "meet someone and become friends"
    DAY = "day", "an ordinary day and what happens in it"


class Threat(_Vocabulary):
    """What stands in the way, as the picture shows it."""

    SUN = "sun", "the sun rises and warms: what is cold melts"
    STORM = "storm", "wind, rain or snow and thunder"
    NIGHT = "night", "night falls"
    COLD = "cold", "cold and snow"
    RAIN = "rain", "rain that spoils things"
    FOG = "fog", "fog that hides the way"
    DISTANCE = "distance", "a long way: mountains and seas between"
    RIVAL = "rival", "someone who competes or stands in the way"
    FEAR = "fear", "the hero's own fear or shyness"
    TIME = "time", "a deadline: it must be done before a moment"


class Age(_Vocabulary):
    """How old a character is."""

    YOUNG = "young", "a child or a cub"
    GROWN = "grown", "grown up"
    OLD = "old", "old, grey"


class Stature(_Vocabulary):
    """A character's size against others of its kind."""

    LITTLE = "little", "smaller than usual for its kind"
    BIG = "big", "bigger than usual for its kind"


class PremiseCharacter(_Model):
    """Someone the premise names."""

    name: NonBlank = Field(description="The premise's words for them: 'lighthouse keeper', 'robots', '小熊猫'.")
    kind: Name | None = Field(default=None, max_length=100, description="The world creature they are drawn as "
                              "('red panda', 'person'); empty means not known to the world data.")
    count: int = Field(default=1, ge=1, le=50, description="How many: 'two robots' is 2; a group ('penguins') is 4.")
    age: Age | None = Field(default=None, description=Age.__doc__ or "")
    stature: Stature | None = Field(default=None, description=Stature.__doc__ or "")
    traits: list[NonBlank] = Field(default_factory=list, description="Words of character: 'shy', 'brave'.")
    relation: Text = Field(default="", description="Who they are to another: 'grandfather of the red panda'.")
    role: Literal["hero", "companion", "other"] = Field(
        default="hero", description="hero: whom the story follows; companion: goes along; other: met, helped, raced.")
    shown_as: Id | None = Field(default=None, description="Id of the storyboard character that plays them "
                                "(the planner fills it).")


class PremiseThing(_Model):
    """A place or a prop the premise names."""

    name: NonBlank = Field(description="The premise's words for it: 'kite', 'bamboo forest', '竹林'.")
    kind: Name | None = Field(default=None, max_length=100, description="The world place or thing it is drawn as; "
                              "empty means not known to the world data.")
    shown_as: Name | None = Field(default=None, max_length=200, description="The location id, character id or prop "
                                  "that shows it (the planner fills it).")


class PremiseReading(_Model):
    """What the planner understood of the premise. Edit it, then run `storyagent plan` on the storyboard file
    to plan again from what you wrote here; with `story` empty the premise text is read again."""

    text: Text = Field(default="", description="The one line the film was made from.")
    story: StoryKind | None = Field(default=None, description=StoryKind.__doc__ or "")
    characters: list[PremiseCharacter] = Field(default_factory=list, description="Who the premise names, hero first.")
    action: Text = Field(default="", description="The goal or main action as a verb phrase, in the premise's "
                         "language: 'build a snowman', 'weather a storm', '寻找丢失的风筝'.")
    verb: Name | None = Field(default=None, max_length=60, description="The action's English verb in its base "
                              "form ('build', 'search'); shots about the goal show it.")
    target: Name | None = Field(default=None, max_length=200, description="What the action is done to, as an "
                                "English noun: 'snowman', 'kite', 'choir'.")
    obstacle: Text = Field(default="", description="What stands in the way, in the premise's words: "
                           "'before the sun melts it'.")
    threat: Threat | None = Field(default=None, description=Threat.__doc__ or "")
    places: list[PremiseThing] = Field(default_factory=list, description="Places the premise names, in order.")
    props: list[PremiseThing] = Field(default_factory=list, description="Things the premise names that matter.")
    weather: Weather | None = Field(default=None, description="Weather the premise names.")
    time_of_day: TimeOfDay | None = Field(default=None, description="Time of day the premise names.")
    notes: list[Text] = Field(default_factory=list, description="What could not be used, or is drawn as its "
                              "nearest kind.")


class Storyboard(_Model):
    """A short film, scene by scene and shot by shot."""

    schema_version: Literal[4] = Field(default=SCHEMA_VERSION, description="Version of this file format.")
    title: NonBlank = Field(description="Title of the film.")
    logline: Text = Field(default="", description="The story in one sentence.")
    premise: PremiseReading = Field(default_factory=PremiseReading, description=PremiseReading.__doc__ or "")
    language: Literal["en", "zh"] = Field(default="en", description="Language of narration and dialogue.")
    target_duration: Seconds = Field(default=90.0, description="Intended film length in seconds.")
    style: Text = Field(default="flat vector storybook", description="Visual style, in words.")
    narrator: Voice = Field(default_factory=Voice, description="Voice of the narration, cast like the characters'.")
    characters: list[Character] = Field(default_factory=list, description="The cast.")
    locations: list[Location] = Field(min_length=1, description="The places.")
    scenes: list[Scene] = Field(min_length=1, description="The scenes, in order.")
    render: RenderSettings = Field(default_factory=RenderSettings, description="Render defaults for this film.")

    @model_validator(mode="after")
    def _check_references(self) -> Storyboard:
        problems = reference_problems(self)
        if problems:
            raise StoryboardError(problems[0])
        return self

    # -- convenience -------------------------------------------------------

    def shots(self) -> list[Shot]:
        return [shot for scene in self.scenes for shot in scene.shots]

    def shot(self, shot_id: str) -> Shot:
        for shot in self.shots():
            if shot.id == shot_id:
                return shot
        raise UnknownIdError(unknown_id("shot", shot_id, {shot.id for shot in self.shots()}))

    def scene_of(self, shot_id: str) -> Scene:
        for scene in self.scenes:
            if any(shot.id == shot_id for shot in scene.shots):
                return scene
        raise UnknownIdError(unknown_id("shot", shot_id, {shot.id for shot in self.shots()}))

    def character(self, character_id: str) -> Character:
        for character in self.characters:
            if character.id == character_id:
                return character
        raise UnknownIdError(unknown_id("character", character_id, {c.id for c in self.characters}))

    def location(self, location_id: str) -> Location:
        for location in self.locations:
            if location.id == location_id:
                return location
        raise UnknownIdError(unknown_id("location", location_id, {loc.id for loc in self.locations}))

    # -- files -------------------------------------------------------------

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Storyboard:
        path = Path(path)
        try:
            if path.exists() and not path.is_file():  # reading a pipe or a device would wait for ever
                raise StoryboardError(f"{path}: not a regular file; give a storyboard JSON file")
            raw = path.read_bytes()
        except OSError as err:
            raise StoryboardError(f"{path}: cannot read: {err.strerror or err}") from None
        return cls.from_json(raw, source=str(path))

    @classmethod
    def from_json(cls, raw: bytes | str, source: str = "<storyboard>") -> Storyboard:
        text = decode(raw, source) if isinstance(raw, bytes) else raw
        return cls.from_dict(parse(text, source), source=source)

    @classmethod
    def from_dict(cls, data: Any, source: str = "<storyboard>") -> Storyboard:
        if not isinstance(data, dict):
            raise StoryboardError(f"{source}: the top level must be a JSON object")
        data = migrate(data, source)
        try:
            return cls.model_validate(data)
        except ValidationError as err:
            raise StoryboardError(f"{source}: {describe_validation_error(err, cls)}") from None
        except StoryboardError as err:
            raise StoryboardError(f"{source}: {err}") from None

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write canonical JSON atomically: a crash never leaves half a file."""
        return write_text_atomic(Path(path), self.to_json())


# -- references ------------------------------------------------------------


def reference_problems(board: Storyboard) -> list[str]:
    """Dangling references and duplicate ids, each as 'json.path: message'."""
    problems: list[str] = []
    problems += _duplicates("characters", [c.id for c in board.characters])
    problems += _duplicates("locations", [loc.id for loc in board.locations])
    problems += _duplicates("scenes", [s.id for s in board.scenes])
    shot_ids = [(f"scenes[{i}].shots[{j}]", shot.id) for i, s in enumerate(board.scenes) for j, shot in enumerate(s.shots)]
    seen: dict[str, str] = {}
    for where, shot_id in shot_ids:
        if shot_id in seen:
            problems.append(f"{where}.id: duplicate shot id '{shot_id}' (also {seen[shot_id]})")
        seen.setdefault(shot_id, where)

    characters = {c.id for c in board.characters}
    locations = {loc.id for loc in board.locations}
    speakers = characters | {NARRATOR}
    if NARRATOR in characters:
        problems.append(f"characters: '{NARRATOR}' is reserved for the narrator; choose another id")
    for i, scene in enumerate(board.scenes):
        if scene.location not in locations:
            problems.append(_dangling(f"scenes[{i}].location", "location", scene.location, locations))
        for j, shot in enumerate(scene.shots):
            at = f"scenes[{i}].shots[{j}]"
            for k, on in enumerate(shot.characters):
                if on.character not in characters:
                    problems.append(_dangling(f"{at}.characters[{k}].character", "character", on.character, characters))
            for k, line in enumerate(shot.lines):
                if line.speaker not in speakers:
                    problems.append(_dangling(f"{at}.lines[{k}].speaker", "speaker", line.speaker, speakers))
            if shot.camera.subject is not None and shot.camera.subject not in characters:
                problems.append(_dangling(f"{at}.camera.subject", "character", shot.camera.subject, characters))
            for k, cue in enumerate(shot.sound):
                if cue.at >= shot.camera.duration:
                    problems.append(f"{at}.sound[{k}].at: {cue.at} s starts after the shot ends ({shot.camera.duration} s)")
    return problems


def _duplicates(path: str, ids: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for i, item in enumerate(ids):
        if item in seen:
            out.append(f"{path}[{i}].id: duplicate id '{item}'")
        seen.add(item)
    return out


def _dangling(path: str, kind: str, name: str, known: set[str]) -> str:
    return f"{path}: {unknown_id(kind, name, known)}"


def json_schema() -> dict[str, Any]:
    return Storyboard.model_json_schema()
