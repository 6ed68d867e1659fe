"""What every hosted renderer shares, with an in-process provider that serves real MP4s: the ledger
(job ids kept, nothing asked twice, the budget), retries, refusals, fitting; keyframes from the
pre-vis and the director's own; the price table and the estimate."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from storyagent.errors import RenderError
from storyagent.renderers.base import ShotJob
from storyagent.renderers.hosted import prices
from storyagent.renderers.hosted.base import (
    HostedOptions,
    HostedRenderer,
    JobStatus,
    Lengths,
    Rejected,
    Transient,
    plan_lengths,
)
from storyagent.renderers.hosted.jobs import Ledger, OverBudget, RemoteJob, RemoteState
from storyagent.renderers.keyframes import key_inputs, keyframe_path, keyframes, replaced_by_director
from storyagent.run.cost import check_budget, estimate
from storyagent.run.options import RunOptions
from storyagent.storyboard import Storyboard
from tests.helpers.hosted import mp4, three_shot_board


class FakeProvider:
    """Answers as a provider would; `script` says what each create call does."""

    def __init__(self) -> None:
        self.creates: list[str] = []
        self.extends: list[tuple[str, int]] = []
        self.polls = 0
        self.script: list[Exception] = []  # raised by the next create calls, in order
        self.clip_seconds: float | None = None  # None: as long as asked
        self.asked: dict[str, float] = {}
        self.final_state = RemoteState.DONE

    def create(self, clip):
        if self.script:
            raise self.script.pop(0)
        self.creates.append(clip.shot_id)
        job = f"job-{len(self.creates)}"
        self.asked[job] = clip.seconds[0]
        return job

    def extend(self, clip, previous, seconds):
        self.extends.append((previous, seconds))
        job = f"{previous}+{seconds}"
        self.asked[job] = self.asked[previous] + seconds
        return job

    def status(self, job_id):
        self.polls += 1
        return JobStatus(state=RemoteState.RUNNING if self.polls % 2 else self.final_state, detail="")

    def download(self, job_id, out):
        Path(out).write_bytes(mp4(self.clip_seconds or self.asked[job_id], 320, 180, 24))


class Fake(HostedRenderer):
    name = "fake"
    default_model = "fake-1"
    key_variables = ("STORYAGENT_TEST_FAKE_KEY",)
    sdk = "json"
    install = "nothing to install"
    provider_used: FakeProvider

    @classmethod
    def lengths(cls, model):
        return Lengths(create=(4, 8), extend=(4,))

    @classmethod
    def size(cls, model, width, height):
        return 320, 180

    def connect(self, key):
        return type(self).provider_used


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setenv("STORYAGENT_TEST_FAKE_KEY", "k")
    Fake.provider_used = FakeProvider()
    monkeypatch.setattr("random.uniform", lambda a, b: 1.0)
    return Fake.provider_used


def quick(**options) -> Fake:
    return Fake(HostedOptions(poll_seconds=0.001, retry_seconds=0.001, **options))


def job_for(folder: Path, shot_id: str = "walk", seconds: float = 2.0, key: str = "k1") -> ShotJob:
    board = Storyboard.model_validate(three_shot_board("fake"))
    (folder / "cast").mkdir(parents=True, exist_ok=True)
    return ShotJob(board=board, shot_id=shot_id, frames=round(seconds * 12), width=160, height=90, fps=12,
                   film_dir=folder, cast_dir=folder / "cast", key=key)


def test_lengths_cover_the_shot_with_the_fewest_requests():
    assert plan_lengths(Lengths((4, 8, 12), (4, 8, 12)), 5.2) == (8,)
    assert plan_lengths(Lengths((4, 8, 12), (4, 8, 12)), 17.0) == (12, 8)
    assert plan_lengths(Lengths((4, 8, 12), (4, 8, 12)), 30.0) == (12, 12, 8)
    assert plan_lengths(Lengths((5, 10)), 14.0) == (10,)  # no extension: the longest clip, fitted


def test_a_shot_is_asked_once_its_job_id_kept_and_its_frames_fitted(fake, tmp_path):
    job = job_for(tmp_path, seconds=2.0)
    frames = list(quick().frames(job))
    assert len(frames) == job.frames and frames[0].shape == (90, 160, 3)
    [row] = Ledger(tmp_path).all()
    assert (row.state, row.job_id, row.seconds, row.shot_key) == ("done", "job-1", 4, "k1")
    assert len(list(quick().frames(job))) == job.frames
    assert fake.creates == ["walk"], "the same request was sent twice"


def test_a_run_killed_after_the_request_polls_the_same_job(fake, tmp_path):
    job = job_for(tmp_path)
    renderer = quick()
    clip = renderer.clip(job)
    request = clip.key("fake", {})
    ledger = Ledger(tmp_path)
    row = ledger.reserve(RemoteJob(request=request, step=0, shot_id="walk", shot_key="k1", provider="fake",
                                   model="fake-1", seconds=4))
    ledger.update(row, job_id="job-from-before", state=RemoteState.QUEUED)
    fake.asked["job-from-before"] = 4
    assert len(list(renderer.frames(job))) == job.frames
    assert fake.creates == [] and fake.polls >= 1


def test_a_long_shot_is_created_then_extended(fake, tmp_path):
    job = job_for(tmp_path, seconds=10.0)
    assert len(list(quick().frames(job))) == job.frames
    assert fake.creates == ["walk"] and fake.extends == [("job-1", 4)]
    assert [row.step for row in Ledger(tmp_path).all()] == [0, 1]


def test_busy_answers_are_retried_and_then_give_up_in_one_line(fake, tmp_path):
    fake.script = [Transient("429 too many requests", retry_after=0), Transient("500 server error")]
    assert len(list(quick().frames(job_for(tmp_path)))) == 24
    assert fake.creates == ["walk"]
    fake.script = [Transient("503")] * 3
    with pytest.raises(RenderError, match="503 .after 2 retries"):
        list(quick(retries=2).frames(job_for(tmp_path, shot_id="wave")))


def test_a_refused_shot_keeps_its_animatic_or_fails_with_strict(fake, tmp_path):
    fake.script = [Rejected("moderation_blocked")]
    frames = list(quick().frames(job_for(tmp_path)))
    assert len(frames) == 24 and frames[0].std() > 5, "the animatic was not drawn"
    assert Ledger(tmp_path).all()[-1].state == "rejected"
    assert fake.creates == [], "a refused request is not asked again on the next run"
    assert len(list(quick().frames(job_for(tmp_path)))) == 24 and fake.creates == []
    fake.script = [Rejected("moderation_blocked")]
    with pytest.raises(RenderError, match="refused it .moderation_blocked.; --strict"):
        list(quick(strict=True).frames(job_for(tmp_path, shot_id="wave")))


def test_a_short_clip_is_stretched_over_the_shot_with_a_warning(fake, tmp_path):
    fake.clip_seconds = 1.0
    job = job_for(tmp_path, seconds=3.0)
    assert len(list(quick().frames(job))) == job.frames
    assert "1.0 s, not the 4 s asked for" in Ledger(tmp_path).all()[-1].detail


def test_the_budget_stops_the_request_that_would_cross_it(fake, tmp_path, monkeypatch):
    monkeypatch.setitem(prices.price_table(), "fake", {"fake-1": prices.Price(per_second=0.1, date="2026-12-01", source="test")})
    Ledger(tmp_path).open_budget(0.5)
    list(quick().frames(job_for(tmp_path)))  # 4 s: $0.40
    with pytest.raises(OverBudget, match=r"shot wave: .* \$0\.80, over --max-cost \$0\.50 \(\$0\.40 spent"):
        list(quick().frames(job_for(tmp_path, shot_id="wave")))
    assert fake.creates == ["walk"]


def test_keyframes_are_drawn_kept_and_the_directors_win(tmp_path):
    job = job_for(tmp_path)
    first = keyframes(job, 320, 180, ("first", "last"))
    assert first["first"].size == (320, 180) and np.asarray(first["first"]).std() > 5
    path = keyframe_path(tmp_path, "walk", "first")
    assert path.is_file() and not replaced_by_director(path)
    assert key_inputs(tmp_path, "walk", ("first",)) == {"first": "pre-vis"}
    Image.new("RGB", (64, 64), (255, 0, 0)).save(path)  # the director's own, another size
    assert replaced_by_director(path)
    assert key_inputs(tmp_path, "walk", ("first",))["first"].startswith("director:")
    assert key_inputs(tmp_path, "wave", ("first",)) == {"first": "pre-vis"}
    mine = keyframes(job, 320, 180, ("first",))["first"]
    assert mine.size == (320, 180) and np.asarray(mine)[90, 160].tolist() == [255, 0, 0]
    assert np.asarray(Image.open(path)).shape[:2] == (64, 64), "the director's file was overwritten"


def test_the_estimate_prices_shots_and_max_cost_refuses_before_anything(tmp_path, monkeypatch):
    board = Storyboard.model_validate(three_shot_board("sora"))
    found = estimate(board, RunOptions(renderer_options={"model": "sora-2"}))
    assert found is not None and [s.billed for s in found.shots] == [4, 4, 4]
    assert math.isclose(found.to_pay, 3 * 4 * prices.price_of("sora", "sora-2").per_second)
    with pytest.raises(OverBudget, match="nothing was sent"):
        check_budget(found, 0.5)
    check_budget(found, 5.0)
    assert estimate(board, RunOptions(renderer="animatic")) is None


def test_a_users_price_file_overrides_the_table(tmp_path, monkeypatch):
    mine = tmp_path / "prices.json"
    mine.write_text(json.dumps({"sora": {"sora-2": {"per_second": 0.5, "date": "2027-01-01", "source": "my contract"}}}))
    monkeypatch.setenv(prices.USER_PRICES, str(mine))
    prices.price_table.cache_clear()
    try:
        assert prices.price_of("sora", "sora-2").per_second == 0.5
        assert prices.price_of("sora", "sora-2-pro") is not None
        mine.write_text("{not json")
        prices.price_table.cache_clear()
        with pytest.raises(Exception, match="not a price table"):
            prices.price_table()
    finally:
        monkeypatch.delenv(prices.USER_PRICES)
        prices.price_table.cache_clear()


def test_another_take_is_a_new_request_with_another_seed(fake, tmp_path):
    job = job_for(tmp_path)
    seeds = []
    original = fake.create
    fake.create = lambda clip: seeds.append(clip.seed) or original(clip)
    list(quick().frames(job))
    list(quick().frames(job))
    assert fake.creates == ["walk"]
    assert Ledger(tmp_path).next_take("walk") == 1
    list(quick().frames(job))
    assert fake.creates == ["walk", "walk"] and seeds[1] == seeds[0] + 1
