"""Film-grammar lint: what an experienced editor would flag in a storyboard.

Errors are things the film cannot honour (narration longer than its shot, a
speaking character never seen); warnings are craft advice a director may
overrule (a jump cut, a scene with no establishing shot).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Literal

from pydantic import BaseModel

from storyagent.planners.report import depictions
from storyagent.storyboard import NARRATOR, Location, ScreenDirection, ShotSize, Storyboard, TimeOfDay, Weather
from storyagent.storyboard.acting import acting_fallbacks
from storyagent.storyboard.language import (
    SkyWord,
    disagreeing_subjects,
    lines_seconds,
    shown,
    sky_words,
    undrawable,
    wrong_articles,
)
from storyagent.world import world

ESTABLISHING = {ShotSize.EXTREME_WIDE, ShotSize.WIDE}
DURATION_WARNING = 0.10  # fraction of the target length
DURATION_ERROR = 0.25
MIN_DISTINCT_SIZES = 3
CROWD_CUE = "crowd-cheer"
CROWD_FIGURES = 3  # fewer figures on screen are no crowd
CROWD_WORDS = ("crowd", "everyone", "everybody", "audience", "all the ", "人群", "大家", "所有人", "观众")
CHEER_WORDS = ("cheer", "applau", "clap", "hooray", "hurray", "欢呼", "鼓掌", "喝彩")
OPPOSITE = {
    ScreenDirection.LEFT_TO_RIGHT: ScreenDirection.RIGHT_TO_LEFT,
    ScreenDirection.RIGHT_TO_LEFT: ScreenDirection.LEFT_TO_RIGHT,
}


class LintIssue(BaseModel):
    level: Literal["error", "warning"]
    code: str
    shot: str | None = None
    message: str

    def __str__(self) -> str:
        where = f"shot {self.shot}: " if self.shot else ""
        return f"{self.level}: {where}{self.message} [{self.code}]"


Rule = Callable[[Storyboard], Iterator[LintIssue]]


def narration_fits(board: Storyboard) -> Iterator[LintIssue]:
    for shot in board.shots():
        needed = lines_seconds([line.text for line in shot.lines], board.language)
        if needed > shot.camera.duration:
            yield LintIssue(
                level="error",
                code="narration-too-long",
                shot=shot.id,
                message=f"its lines need about {needed:.1f} s to say but the shot lasts {shot.camera.duration:g} s; "
                "shorten the lines or lengthen the shot",
            )


def duration_near_target(board: Storyboard) -> Iterator[LintIssue]:
    total = sum(shot.camera.duration for shot in board.shots())
    off = abs(total - board.target_duration) / board.target_duration
    if off > DURATION_WARNING:
        yield LintIssue(
            level="error" if off > DURATION_ERROR else "warning",
            code="duration-off-target",
            message=f"shots add up to {total:.1f} s, {off:.0%} from the target {board.target_duration:g} s",
        )


def scenes_open_wide(board: Storyboard) -> Iterator[LintIssue]:
    for scene in board.scenes:
        first = scene.shots[0]
        if first.camera.size not in ESTABLISHING:
            yield LintIssue(
                level="warning",
                code="no-establishing-shot",
                shot=first.id,
                message=f"scene '{scene.id}' opens on a {first.camera.size} shot; open on a wide or extreme-wide "
                "shot so the viewer knows where we are",
            )


def no_jump_cuts(board: Storyboard) -> Iterator[LintIssue]:
    for scene in board.scenes:
        for before, after in zip(scene.shots, scene.shots[1:]):
            same_framing = (before.camera.size, before.camera.angle) == (after.camera.size, after.camera.angle)
            if same_framing and _subject(before) == _subject(after):
                yield LintIssue(
                    level="warning",
                    code="jump-cut",
                    shot=after.id,
                    message=f"same size ({after.camera.size}) and angle ({after.camera.angle}) on the same subject "
                    f"as shot {before.id}; change the size or angle",
                )


def characters_shown(board: Storyboard) -> Iterator[LintIssue]:
    on_screen = {on.character for shot in board.shots() for on in shot.characters}
    for character in board.characters:
        speaks = any(line.speaker == character.id for shot in board.shots() for line in shot.lines)
        if speaks and character.id not in on_screen:
            yield LintIssue(
                level="error",
                code="character-never-shown",
                message=f"'{character.id}' speaks but no shot shows them",
            )
    shown: set[str] = set()
    for shot in board.shots():
        shown |= {on.character for on in shot.characters}
        for line in shot.lines:
            if line.speaker != NARRATOR and line.speaker not in shown and line.speaker in on_screen:
                yield LintIssue(
                    level="warning",
                    code="heard-before-seen",
                    shot=shot.id,
                    message=f"'{line.speaker}' speaks before any shot has shown them",
                )


def screen_direction_kept(board: Storyboard) -> Iterator[LintIssue]:
    for scene in board.scenes:
        heading: dict[str, ScreenDirection] = {}
        for shot in scene.shots:
            for on in shot.characters:
                previous = heading.get(on.character)
                if previous is not None and OPPOSITE.get(previous) == on.direction:
                    yield LintIssue(
                        level="warning",
                        code="screen-direction-flip",
                        shot=shot.id,
                        message=f"'{on.character}' now moves {on.direction} after {previous} in the same scene "
                        "(180-degree rule); keep the direction or show the turn",
                    )
                if on.direction in OPPOSITE:
                    heading[on.character] = on.direction


def sizes_vary(board: Storyboard) -> Iterator[LintIssue]:
    shots = board.shots()
    sizes = {shot.camera.size for shot in shots}
    if len(shots) >= 6 and len(sizes) < MIN_DISTINCT_SIZES:
        yield LintIssue(
            level="warning",
            code="little-size-variety",
            message=f"{len(shots)} shots use only {len(sizes)} shot size(s); vary wide, medium and close shots",
        )


def everything_used(board: Storyboard) -> Iterator[LintIssue]:
    used_characters = {on.character for shot in board.shots() for on in shot.characters}
    used_characters |= {line.speaker for shot in board.shots() for line in shot.lines}
    for character in board.characters:
        if character.id not in used_characters:
            yield LintIssue(level="warning", code="unused-character", message=f"character '{character.id}' never appears")
    used_locations = {scene.location for scene in board.scenes}
    for location in board.locations:
        if location.id not in used_locations:
            yield LintIssue(level="warning", code="unused-location", message=f"location '{location.id}' is never used")


def icons_exist(board: Storyboard) -> Iterator[LintIssue]:
    from storyagent.world.icons import unknown_icons

    for problem in unknown_icons([character.visual.icon for character in board.characters]):
        yield LintIssue(level="error", code="unknown-icon", message=problem)


def text_drawable(board: Storyboard) -> Iterator[LintIssue]:
    """The title card, the credits and burned subtitles are drawn with the bundled font: a character it has
    no glyph for would show as a box."""
    texts = [("title", None, board.title)] + [(f"characters[{i}].name", None, c.name) for i, c in enumerate(board.characters)]
    texts += [(f"lines[{k}].text", shot.id, line.text) for shot in board.shots() for k, line in enumerate(shot.lines)]
    for where, shot, text in texts:
        missing = undrawable(text)
        if missing:
            yield LintIssue(level="error", code="undrawable-text", shot=shot,
                            message=f"{where}: the bundled font cannot draw {shown(missing)}; it draws Latin, Greek, "
                            "Cyrillic, kana and simplified Chinese (GB 2312): rewrite it, or they show as boxes")


def premise_shown(board: Storyboard) -> Iterator[LintIssue]:
    """Every character, place and prop the premise names, and its action, is on screen somewhere."""
    for depiction in depictions(board):
        if depiction.element != "obstacle" and depiction.checked and not depiction.found:
            yield LintIssue(level="warning", code="premise-missing",
                            message=f'the premise names the {depiction.element} "{depiction.name}" but no shot shows '
                            "it; add it, or edit the premise section if it was misread")


def words_match_picture(board: Storyboard) -> Iterator[LintIssue]:
    """A line states no weather or light that its scene does not show, nor the scene before (a line may
    look back a moment: 'when the storm passed'); a sight said to be over must have been shown before."""
    shown_so_far: set[str] = set()
    before: set[str] = set()
    for scene in board.scenes:
        here = sights(board.location(scene.location))
        shown_so_far |= here
        for shot in scene.shots:
            for line in shot.lines:
                for said in sky_words(line.text):
                    if not _seen(said, here | before, shown_so_far):
                        yield LintIssue(level="warning", code="words-contradict-picture", shot=shot.id,
                                        message=f'"{said.words}" in "{line.text}" {_says(said)}, but the picture '
                                        f"shows {_picture(board.location(scene.location))}; change the words or the "
                                        "location's time or weather")
        before = here


def crowd_on_screen(board: Storyboard) -> Iterator[LintIssue]:
    """A crowd that cheers is seen: a crowd-cheer cue or a line of everyone cheering needs figures."""
    for shot in board.shots():
        figures = sum(board.character(on.character).visual.count for on in shot.characters)
        cheering = [cue.tag for cue in shot.sound if cue.tag == CROWD_CUE]
        cheering += [line.text for line in shot.lines if _crowd_cheers(line.text)]
        if cheering and figures < CROWD_FIGURES:
            yield LintIssue(level="warning", code="empty-crowd", shot=shot.id,
                            message=f'"{cheering[0]}" with {figures} figure(s) on screen; show the crowd '
                            f"(a group of {CROWD_FIGURES} or more) or drop the cheering")


def words_agree(board: Storyboard) -> Iterator[LintIssue]:
    """'an old keeper', not 'a old keeper'; 'the robots stand', not 'the robots stands' (English text:
    articles everywhere, verbs in shot descriptions, which open with their subject)."""
    texts = [(shot.id, "description", shot.description, True) for shot in board.shots()]
    texts += [(shot.id, "line", line.text, False) for shot in board.shots() for line in shot.lines]
    texts += [(None, f"scene {scene.id}", scene.summary, False) for scene in board.scenes]
    texts += [(None, f"character {c.id}", c.description, False) for c in board.characters]
    for shot_id, where, text, with_verbs in texts:
        wrong = [f'"{words}"' for words in wrong_articles(text)]
        wrong += [f'"{words}" (plural subject, singular verb)' for words in disagreeing_subjects(text)] if with_verbs else []
        if wrong:
            yield LintIssue(level="warning", code="agreement", shot=shot_id,
                            message=f"the {where} reads {', '.join(wrong)}; make the words agree")


def _seen(said: SkyWord, now: set[str], ever: set[str]) -> bool:
    return said.sight in (ever if said.ended else now)


def sights(location: Location) -> set[str]:
    """What a location's picture shows of the sky words' sights (see language.SKY_WORDS)."""
    biome = world().biome(location.biome)
    time, weather = location.time_of_day, location.weather
    seen = {str(time)}
    seen |= {"night", "dark"} if time == TimeOfDay.NIGHT else set()
    seen |= {"dark", "night"} if time == TimeOfDay.DUSK else set()  # 'night fell' as the light goes
    seen |= {"morning"} if time in (TimeOfDay.DAWN, TimeOfDay.DAY) else set()
    seen |= {"dark"} if biome.indoors or biome.underwater else set()
    seen |= {"night"} if biome.starry else set()
    seen |= {"snow"} if biome.snow else set()
    stormy = weather == Weather.STORM
    seen |= {"storm", "snow" if biome.snow else "rain"} if stormy else set()
    seen |= {str(weather)} if weather in (Weather.RAIN, Weather.SNOW, Weather.FOG) else set()
    if weather in (Weather.CLEAR, Weather.CLOUDY) and time != TimeOfDay.NIGHT and not biome.underwater:
        seen.add("sunny")
    if not (biome.snow or weather in (Weather.SNOW, Weather.STORM)):
        seen.add("warm")
    return seen


def _says(said: SkyWord) -> str:
    what = {"rain": "rain", "snow": "snow", "storm": "a storm", "fog": "fog", "night": "night", "dark": "the dark",
            "dusk": "sunset or evening", "dawn": "dawn", "morning": "morning", "sunny": "sunshine",
            "warm": "warm weather"}[said.sight]
    return f"says {what} is over, but no scene so far showed it" if said.ended else f"says {what}"


def _picture(location: Location) -> str:
    return f"{location.time_of_day}, {location.weather} weather at {location.name}"


def _crowd_cheers(text: str) -> bool:
    lowered = text.lower()
    return any(w in lowered for w in CROWD_WORDS) and any(w in lowered for w in CHEER_WORDS)


def sounds_in_place(board: Storyboard) -> Iterator[LintIssue]:
    """A sound cue the place cannot make (a door on a reef, footsteps under water), by the world's biome cards."""
    for scene in board.scenes:
        location = board.location(scene.location)
        for shot in scene.shots:
            for tag in dict.fromkeys(cue.tag for cue in shot.sound):
                if not world().sound_fits(tag, location.biome):
                    yield LintIssue(level="warning", code="sound-out-of-place", shot=shot.id,
                                    message=f"the sound '{tag}' cannot happen at {location.name} ({location.biome}); "
                                    "cue a sound of the place or none")


def acting_known(board: Storyboard) -> Iterator[LintIssue]:
    """An action whose verb the acting table does not know is played as the nearest verb family:
    the director should know what the picture will show."""
    for fallback in acting_fallbacks(board):
        how = "a verb like it" if fallback.via == "synonym" else "its motion"
        yield LintIssue(level="warning", code="acting-fallback", shot=fallback.shot,
                        message=f"{fallback.character} '{fallback.action}': the acting table does not know "
                                f"'{fallback.verb}'; played as {fallback.performance.value} (from {how})")


RULES: list[Rule] = [
    icons_exist,
    text_drawable,
    narration_fits,
    duration_near_target,
    scenes_open_wide,
    no_jump_cuts,
    characters_shown,
    screen_direction_kept,
    sizes_vary,
    everything_used,
    premise_shown,
    words_match_picture,
    crowd_on_screen,
    words_agree,
    sounds_in_place,
    acting_known,
]


def lint(board: Storyboard) -> list[LintIssue]:
    """All issues, errors first, in storyboard order within each level."""
    issues = [issue for rule in RULES for issue in rule(board)]
    return sorted(issues, key=lambda issue: issue.level != "error")


def _subject(shot) -> str | None:
    if shot.camera.subject:
        return shot.camera.subject
    return shot.characters[0].character if shot.characters else None
