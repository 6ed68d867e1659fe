"""What a film costs at a paid renderer (a hosted provider), before, during and after a run.

Before: `estimate` prices each shot that would be asked for: not already rendered, and not already
asked of the provider (a job in the film's ledger for the same shot inputs is paid for, not paid
again). The shot lengths are the timeline's when the film has one that matches, else the planned
lengths and the time their lines take to say. `check_budget` refuses a run over `--max-cost`;
during the run the ledger stops the request that would cross it. After: `spent` reads what the
ledger says each shot cost.
"""

from __future__ import annotations

import math
from pathlib import Path

from pydantic import BaseModel

from storyagent.errors import BackendError
from storyagent.planners.timing import seconds_needed
from storyagent.renderers.hosted.jobs import LIVE, Ledger, OverBudget, jobs_of
from storyagent.renderers.hosted.prices import price_of
from storyagent.run.options import RunOptions
from storyagent.run.stages import chosen_renderer, shot_key, shot_reusable
from storyagent.storyboard import Storyboard
from storyagent.timeline import Timeline


class ShotCost(BaseModel):
    shot_id: str
    seconds: float  # the shot's length
    billed: float  # seconds asked of the provider
    requests: int
    usd: float | None  # None: no price known for the model
    to_pay: bool  # False: rendered already, or its job is paid for


class Estimate(BaseModel):
    renderer: str
    model: str
    shots: list[ShotCost]
    price_source: str = ""  # "$0.10/s, read 2026-12-01 from https://…"
    lengths_from: str  # "the timeline" or "the storyboard"

    @property
    def to_pay(self) -> float:
        """US dollars the run would spend; NaN when a shot to ask for has no known price."""
        return sum(math.nan if s.usd is None else s.usd for s in self.shots if s.to_pay)

    @property
    def total(self) -> float:
        return sum(math.nan if s.usd is None else s.usd for s in self.shots)


def estimate(board: Storyboard, options: RunOptions, film_dir: Path | None = None,
             timeline: Timeline | None = None) -> Estimate | None:
    """The film's cost at its renderer, shot by shot; None for a renderer that costs nothing."""
    renderer, settings = chosen_renderer(board, options)
    if renderer.price(settings, 1.0) is None:
        return None
    paid_keys = {job.shot_key for job in jobs_of(film_dir) if job.state in LIVE} if film_dir is not None else set()
    lengths = _shot_lengths(board, timeline)
    shots = []
    for shot in board.shots():
        price = renderer.price(settings, lengths[shot.id])
        done = False
        if film_dir is not None and timeline is not None:
            done = (shot_reusable(board, timeline, shot.id, film_dir, options)
                    or shot_key(board, timeline, shot.id, options, film_dir) in paid_keys)
        shots.append(ShotCost(shot_id=shot.id, seconds=round(lengths[shot.id], 2), billed=price.seconds,
                              requests=price.requests, usd=None if math.isnan(price.usd) else price.usd, to_pay=not done))
    model = settings.model_dump().get("model") or getattr(renderer, "default_model", "")
    known = price_of(renderer.name, model)
    source = ""
    if known is not None:
        rate = f"${known.per_second:.3f}/s" if known.per_second is not None else f"${known.per_clip:.2f} per clip"
        source = f"{rate}, read {known.date} from {known.source}"
    return Estimate(renderer=renderer.name, model=model, shots=shots, price_source=source,
                    lengths_from="the timeline" if timeline is not None else "the storyboard")


def _shot_lengths(board: Storyboard, timeline: Timeline | None) -> dict[str, float]:
    if timeline is not None:
        return {placement.shot_id: placement.duration for placement in timeline.shots}
    return {shot.id: max(shot.camera.duration, seconds_needed([line.text for line in shot.lines], board.language))
            for shot in board.shots()}


def check_budget(found: Estimate, max_cost: float | None) -> None:
    """Refuse, before any request, a run whose estimate is over `max_cost`."""
    if max_cost is None:
        return
    asked = [s for s in found.shots if s.to_pay]
    if any(s.usd is None for s in asked):
        raise BackendError(f"--max-cost: no price is known for {found.renderer} model {found.model}; "
                           "add it to a price file named by STORYAGENT_PRICES (see the README's 'Hosted generators')")
    if found.to_pay > max_cost + 1e-9:
        raise OverBudget(f"this render would cost ${found.to_pay:.2f} ({len(asked)} shots to ask {found.renderer} for), "
                         f"over --max-cost ${max_cost:.2f}; nothing was sent. `storyagent estimate` lists it by shot")


def start_spending(board: Storyboard, timeline: Timeline, film_dir: Path, options: RunOptions) -> Estimate | None:
    """Before the first shot of a run at a paid renderer: its estimate, refused when over `--max-cost`;
    otherwise the run's budget opens in the ledger, which stops the request that would cross it."""
    found = estimate(board, options, film_dir, timeline)
    if found is None:
        return None
    max_cost = getattr(chosen_renderer(board, options)[1], "max_cost", None)
    check_budget(found, max_cost)
    Ledger(film_dir).open_budget(max_cost)
    return found


def spent(film_dir: Path) -> dict[str, float]:
    """US dollars each shot's requests cost so far (refused and failed requests included only where billed)."""
    totals: dict[str, float] = {}
    for job in jobs_of(film_dir):
        if job.state in LIVE:
            totals[job.shot_id] = round(totals.get(job.shot_id, 0.0) + job.usd, 4)
    return totals


def spent_by_run(film_dir: Path, runs: list) -> dict[int, dict[str, float]]:
    """What each run (a catalogue `Run`) paid providers, by shot: the requests sent while it ran."""
    paid: dict[int, dict[str, float]] = {}
    jobs = [job for job in jobs_of(film_dir) if job.state in LIVE]
    for run in runs:
        for job in jobs:
            created = job.created.replace(tzinfo=run.started.tzinfo)
            if run.started <= created and (run.finished is None or created <= run.finished):
                shots = paid.setdefault(run.id, {})
                shots[job.shot_id] = round(shots.get(job.shot_id, 0.0) + job.usd, 4)
    return paid


def summary(film_dir: Path) -> list[str]:
    """What a run's summary says about providers: what the film's shots cost, and which shots were refused."""
    jobs = jobs_of(film_dir)
    if not jobs:
        return []
    last = {job.shot_id: job for job in jobs}
    providers = ", ".join(sorted({job.provider for job in jobs}))
    paid = f"${sum(spent(film_dir).values()):.2f}"
    lines = [f"paid to {providers} for this film so far: {paid} (`storyagent status` lists it by shot)"]
    lines += [f"shot {shot}: {job.provider} refused it ({job.detail or 'its policy'}); it shows its animatic"
              for shot, job in last.items() if job.state == "rejected"]
    return lines
