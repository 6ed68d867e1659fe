"""The storyboard: the director's document. `model` is the document itself,
`files` keeps earlier versions and migrates old ones, `problems` turns a
malformed file into one line with its JSON path."""

from storyagent.storyboard.files import MIGRATIONS, SCHEMA_VERSION, migrate, save_keeping_previous
from storyagent.storyboard.model import (
    NARRATOR,
    Age,
    BiomeName,
    Camera,
    CameraAngle,
    CameraMovement,
    Character,
    Facing,
    Line,
    Location,
    Mood,
    Motion,
    OnScreen,
    PremiseCharacter,
    PremiseReading,
    PremiseThing,
    RenderSettings,
    Scene,
    ScreenDirection,
    Shot,
    ShotSize,
    SoundCue,
    Stature,
    Storyboard,
    StoryKind,
    Threat,
    TimeOfDay,
    Transition,
    TransitionKind,
    Visual,
    Voice,
    Weather,
    json_schema,
)
from storyagent.storyboard.problems import describe_validation_error, json_path

__all__ = [
    "MIGRATIONS", "NARRATOR", "SCHEMA_VERSION", "Age", "PremiseCharacter", "PremiseReading", "PremiseThing",
    "Stature", "StoryKind", "Threat", "BiomeName", "Camera", "CameraAngle", "CameraMovement", "Character",
    "Facing", "Line", "Location", "Mood", "Motion", "OnScreen", "RenderSettings", "Scene", "ScreenDirection", "Shot",
    "ShotSize", "SoundCue", "Storyboard", "TimeOfDay", "Transition", "TransitionKind", "Visual", "Voice", "Weather",
    "describe_validation_error", "json_path", "json_schema", "migrate", "save_keeping_previous",
]
