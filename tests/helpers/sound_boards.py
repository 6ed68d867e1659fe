"""Small storyboards and timelines for the voice, subtitle and sound tests, built in code."""

from __future__ import annotations

from storyagent.storyboard import Mood, Storyboard
from storyagent.timeline import Card, MusicSection, Timeline


def small_board(language: str = "en") -> Storyboard:
    """Two scenes in two places, narration and two speaking characters, a few cues."""
    english = language == "en"
    lines = (
        [("narrator", "Far in the north, on the endless ice, lived a polar bear. He was curious."),
         ("nanuk", "One day, I will meet them."),
         ("narrator", "At the end of the world, the penguins were waiting."),
         ("pip", "Hello, big bear! Welcome to the south.")]
        if english else
        [("narrator", "在遥远的北方，住着一只小北极熊。他很好奇。"),
         ("nanuk", "总有一天，我要去见企鹅！"),
         ("narrator", "在世界的尽头，企鹅们在等着他。"),
         ("pip", "你好，大熊！欢迎来到南方。")]
    )
    shot = lambda sid, dur, said, cues=(): {
        "id": sid, "camera": {"size": "wide", "duration": dur},
        "lines": [{"speaker": s, "text": t} for s, t in said],
        "sound": [{"tag": tag, "at": at} for tag, at in cues],
    }
    return Storyboard.model_validate({
        "title": "Test", "language": language,
        "characters": [{"id": "nanuk", "name": "Nanuk"}, {"id": "pip", "name": "Pip"}],
        "locations": [
            {"id": "north", "name": "North", "biome": "sea-ice", "weather": "snow"},
            {"id": "south", "name": "South", "biome": "coast", "weather": "clear"},
        ],
        "scenes": [
            {"id": "a", "location": "north", "mood": "calm",
             "shots": [shot("a1", 4.0, lines[:1], [("footsteps-snow", 0.5)]), shot("a2", 5.0, lines[1:2]),
                       shot("a3", 3.0, [])]},
            {"id": "b", "location": "south", "mood": "joyful",
             "shots": [shot("b1", 4.0, lines[2:3], [("penguin-colony", 0.0)]), shot("b2", 4.0, lines[3:4]),
                       shot("b3", 3.0, [], [("seagulls", 0.2)])]},
        ],
    })


def score_timeline(moods=(Mood.CALM, Mood.TENSE, Mood.JOYFUL), seconds=8.0) -> Timeline:
    """A film of music only: one section per mood, `seconds` each, after a title card."""
    sections = [MusicSection(scene_id=f"s{i}", mood=m, start=i * seconds, duration=seconds) for i, m in enumerate(moods)]
    total = seconds * len(moods)
    return Timeline(fps=24, width=640, height=360, duration=total, cards=[Card(kind="title", start=0, duration=1)],
                    shots=[], voice=[], music=sections)
