"""Reading a premise: who (with count, age, size, traits, relations), the goal as a verb
phrase, the obstacle, places and props, in English and Chinese."""

from __future__ import annotations

import pytest

from storyagent.errors import PremiseError
from storyagent.planners.premise import read_premise
from storyagent.storyboard import Age, Stature, StoryKind, Threat


def who(premise: str) -> list[tuple[str, str | None, int, str]]:
    return [(c.name, c.kind, c.count, c.role) for c in read_premise(premise).characters]


@pytest.mark.parametrize(("premise", "story", "verb", "target"), [
    ("two robots build a snowman together before the sun melts it", StoryKind.BUILD, "build", "snowman"),
    ("a shy octopus wants to join the coral reef choir", StoryKind.LEARN, "join", "choir"),
    ("an old lighthouse keeper and a seagull weather a storm", StoryKind.SURVIVE, "weather", "storm"),
    ("a fox rescues a sea turtle during a thunderstorm", StoryKind.RESCUE, "rescue", "sea turtle"),
    ("the tortoise and the hare race across the meadow", StoryKind.RACE, "race", None),
    ("polar bear visits penguins", StoryKind.QUEST, "visit", "penguin"),
    ("a girl is looking for her lost kite in the park", StoryKind.SEARCH, "search", "kite"),
    ("a hedgehog knits a scarf for winter", StoryKind.BUILD, "knit", "scarf"),
    ("Mia learns to ride a bike", StoryKind.LEARN, "ride", "bike"),
    ("a puppy helps grandma bake a cake", StoryKind.BUILD, "bake", "cake"),
])
def test_the_goal_is_a_verb_phrase_that_chooses_the_story(premise, story, verb, target):
    reading = read_premise(premise)
    assert (reading.story, reading.verb, reading.target) == (story, verb, target)
    assert reading.action.split()[-1] in premise.split()


def test_weather_a_storm_is_the_goal_not_a_name():
    reading = read_premise("an old lighthouse keeper and a seagull weather a storm")
    assert [(c.name, c.age) for c in reading.characters] == [("lighthouse keeper", Age.OLD), ("seagull", None)]
    assert reading.action == "weather a storm" and reading.threat == Threat.STORM
    assert [p.name for p in reading.places] == ["lighthouse"]


def test_counts_groups_ages_sizes_and_traits():
    assert who("two robots build a snowman")[0] == ("robots", "robot", 2, "hero")
    assert who("polar bear visits penguins")[1] == ("penguins", "penguin", 4, "other")
    assert who("three little pigs build houses")[0][2] == 3
    octopus = read_premise("a shy octopus wants to join the coral reef choir").characters[0]
    assert octopus.traits == ["shy"] and octopus.role == "hero"
    girl = read_premise("a little girl and her grandpa fly a kite").characters
    assert girl[0].stature == Stature.LITTLE and girl[0].age == Age.YOUNG
    assert girl[1].age == Age.OLD and girl[1].relation == "grandpa of girl" and girl[1].role == "companion"


def test_a_group_the_goal_names_is_made_of_the_places_creatures():
    reading = read_premise("a shy octopus wants to join the coral reef choir")
    choir = reading.characters[1]
    assert (choir.name, choir.kind, choir.count, choir.role) == ("choir", "fish", 4, "other")
    assert [p.kind for p in reading.places] == ["reef"]
    assert reading.threat == Threat.FEAR  # shyness is what stands in the way
    assert any("choir" in note for note in reading.notes)


def test_the_obstacle_is_the_clause_that_stands_in_the_way():
    reading = read_premise("two otters repair a leaky boat before the tide comes in")
    assert reading.obstacle == "before the tide comes in" and reading.threat == Threat.TIME
    assert read_premise("two robots build a snowman before the sun melts it").threat == Threat.SUN
    assert read_premise("a fox rescues a sea turtle during a thunderstorm").weather.value == "storm"


def test_what_is_built_is_a_prop_and_a_compound_name_names_no_place():
    snowman = read_premise("two robots build a snowman together before the sun melts it")
    assert [p.kind for p in snowman.props] == ["snowman"] and len(snowman.characters) == 1
    turtle = read_premise("a fox rescues a sea turtle")
    assert turtle.places == [] and turtle.characters[1].name == "sea turtle"


@pytest.mark.parametrize(("premise", "story", "verb", "characters", "prop"), [
    ("小熊猫和爷爷在竹林里寻找丢失的风筝", StoryKind.SEARCH, "search", ["小熊猫", "爷爷"], "kite"),
    ("两只小猫在雪地里堆雪人", StoryKind.BUILD, "build", ["小猫"], "snowman"),
    ("小狗帮助奶奶寻找眼镜", StoryKind.SEARCH, "search", ["小狗", "奶奶"], None),
])
def test_chinese_premises_are_read_by_words(premise, story, verb, characters, prop):
    reading = read_premise(premise)
    assert (reading.story, reading.verb) == (story, verb)
    assert [c.name for c in reading.characters] == characters
    if prop:
        assert reading.target == prop and reading.props[0].kind == prop


def test_grandpa_in_chinese_is_old_and_related():
    grandpa = read_premise("小熊猫和爷爷在竹林里寻找丢失的风筝").characters[1]
    assert grandpa.age == Age.OLD and grandpa.relation.startswith("grandpa of") and grandpa.role == "companion"
    assert read_premise("两只小猫在雪地里堆雪人").characters[0].count == 2


def test_every_premise_gives_someone_to_follow():
    reading = read_premise("the sky turns pink")
    assert reading.characters and reading.story is not None
    with pytest.raises(PremiseError):
        read_premise("   ")


def test_any_jumble_of_story_words_is_read_and_planned() -> None:
    """Premises nobody wrote a key for: random runs of story words, English and Chinese, always plan."""
    import random

    from storyagent.planners import plan

    words = ("a the two little old shy grumpy fox bear penguins robot girl grandma choir band team bakery castle moon "
             "river rooftop kite snowman cake boat storm rain night sun tide builds finds visits rescues races learns "
             "to wants join weather opens in on at to across with for before during until and his her of named Mia "
             "paints knits lost leaky flies sings together 小熊 企鹅 和 在 里 寻找 丢失的 风筝 堆 雪人 两只 一群 爷爷 "
             "竹林 暴风雨 前 去 看望 帮助 学会 , .").split()
    rng = random.Random(13)
    for _ in range(120):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 12)))
        board = plan(text, duration=rng.choice([20, 45]), seed=rng.randrange(3))
        assert board.premise.characters and board.shots(), text
