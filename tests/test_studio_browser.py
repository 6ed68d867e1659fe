"""The studio's page in a real browser (Chromium driven by Playwright): a director opens a film, edits a shot
through the forms, sees a check fail and pass, reorders shots, undoes a change, saves, renders, and plays the
new film; a second tab holding the old storyboard cannot overwrite the save.

Needs Debian's `chromium` (/usr/bin/chromium) and the `playwright` package (no browser download): without
them the test is skipped. Screenshots of the panels, a card being edited and the render's progress go to
the folder named by STORYAGENT_SCREENSHOTS (`STORYAGENT_SCREENSHOTS=docs/studio` refreshes the README's),
else to the test's temporary folder."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from storyagent.storyboard import Storyboard
from tests.helpers.hosted import three_shot_board, write_board

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("STORYAGENT_SCREENSHOTS") or tempfile.mkdtemp(prefix="studio-screenshots-"))
SIZE = {"width": 256, "height": 144, "fps": 12}

try:
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

pytestmark = [
    pytest.mark.skipif(sync_playwright is None, reason="playwright is not installed (pip install playwright; "
                       "no `playwright install` needed: the test drives the system's Chromium)"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no browser at /usr/bin/chromium (apt-get install chromium)"),
]


def film_seconds(film_dir: Path) -> float:
    from storyagent.timeline import Timeline

    return Timeline.model_validate_json((film_dir / "timeline.json").read_bytes()).duration


@contextlib.contextmanager
def serving(root: Path) -> Iterator[str]:
    """The studio over `root` on a free port, in a thread: its URL with the token."""
    import uvicorn

    from storyagent.studio import create_app

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    app = create_app(root, "test-token", "127.0.0.1", port, run_options=SIZE)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/?token=test-token"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A studio over a folder holding one rendered three-shot film, `ice`: (its URL with the token, the film)."""
    from storyagent.run.film import render

    root = tmp_path_factory.mktemp("studio")
    film = root / "ice"
    render(write_board(film, three_shot_board("animatic")), progress=lambda event: None, **SIZE)
    with serving(root) as url:
        yield url, film


def order(page: Page) -> list[str]:
    return page.eval_on_selector_all(".card", "cards => cards.map(c => c.dataset.testid.slice(5))")


def keyframes_shown(page: Page) -> None:
    page.wait_for_function("""() => [...document.querySelectorAll('.card img.frame')]
        .every(img => img.complete && img.naturalWidth > 0)""", timeout=20_000)


def test_a_director_edits_saves_and_renders_in_the_browser(studio: tuple[str, Path]) -> None:
    url, film = studio
    before = json.loads((film / "storyboard.json").read_text(encoding="utf-8"))
    seconds_before = film_seconds(film)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))

        # The studio's folder holds films: the list shows this one; opening it shows a card per shot.
        page.goto(url)
        page.get_by_test_id("film-ice").click()
        expect(page.get_by_test_id("card-walk")).to_be_visible()
        assert order(page) == ["walk", "wave", "hug"]
        expect(page.get_by_test_id("card-wave")).to_contain_text("medium · eye-level · static")
        expect(page.get_by_test_id("character-bear")).to_contain_text("Nanuk")
        keyframes_shown(page)
        expect(page.locator('#lint[data-state="done"]')).to_have_count(1)
        page.screenshot(path=str(SCREENSHOTS / "panels.png"))

        # A second tab opens the same film now; it will be stale once the first one saves.
        stale = context.new_page()
        stale.goto(url + "&film=ice")
        expect(stale.get_by_test_id("card-walk")).to_be_visible()

        # The camera moves: picked from the schema's menu; the card says so.
        page.get_by_test_id("card-walk").click()
        movement = page.locator('[data-path="scenes.0.shots.0.camera.movement"]')
        assert "dolly-in" in movement.locator("option").evaluate_all("options => options.map(o => o.value)")
        movement.select_option("dolly-in")
        expect(page.get_by_test_id("card-walk")).to_contain_text("wide · eye-level · dolly-in")

        # A narration line emptied: the check names that field and marks the card; written again, both clear.
        line = page.locator('[data-path="scenes.0.shots.0.lines.0.text"]')
        line.fill("")
        note = page.locator('#editor [data-finding="scenes.0.shots.0.lines.0.text"]')
        expect(note).to_be_visible()
        expect(page.get_by_test_id("card-walk")).to_have_class(lambda_has("has-error"))
        expect(page.get_by_test_id("lint")).to_contain_text("lines.0.text")
        line.evaluate("field => field.scrollIntoView({block: 'center'})")
        page.screenshot(path=str(SCREENSHOTS / "editing.png"))
        line.fill("Nanuk walks far.")
        expect(note).to_have_count(0)
        expect(page.get_by_test_id("card-walk")).not_to_have_class(lambda_has("has-error"))
        expect(page.get_by_test_id("card-walk")).to_contain_text("Nanuk walks far.")

        # The shot gets longer.
        page.locator('[data-path="scenes.0.shots.0.camera.duration"]').fill("5")
        expect(page.get_by_test_id("card-walk")).to_contain_text("5 s")

        # A change undone: wave's size back to medium.
        page.get_by_test_id("card-wave").click()
        page.locator('[data-path="scenes.0.shots.1.camera.size"]').select_option("close-up")
        expect(page.get_by_test_id("card-wave")).to_contain_text("close-up")
        page.get_by_test_id("undo").click()
        expect(page.get_by_test_id("card-wave")).to_contain_text("medium · eye-level · static")
        expect(page.locator('[data-path="scenes.0.shots.1.camera.size"]')).to_have_value("medium")

        # hug dragged before wave.
        page.get_by_test_id("card-hug").drag_to(page.get_by_test_id("card-wave"), target_position={"x": 20, "y": 60})
        assert order(page) == ["walk", "hug", "wave"]

        # Saved: the file is what the CLI writes for that storyboard, byte for byte.
        page.get_by_test_id("save").click()
        expect(page.get_by_test_id("save")).to_have_text("Saved")
        expected = copy.deepcopy(before)
        walk, wave, hug = expected["scenes"][0]["shots"]
        walk["camera"]["movement"] = "dolly-in"
        walk["camera"]["duration"] = 5.0
        walk["lines"][0]["text"] = "Nanuk walks far."
        expected["scenes"][0]["shots"] = [walk, hug, wave]
        written = (film / "storyboard.json").read_bytes()
        assert written.decode("utf-8") == Storyboard.from_dict(expected).to_json()
        assert written == Storyboard.load(film / "storyboard.json").to_json().encode("utf-8")

        # The stale tab's save is refused: it asks, and reloading shows the saved storyboard.
        stale.get_by_test_id("card-wave").click()
        stale.locator('[data-path="scenes.0.shots.1.description"]').fill("Pip waves from the water.")
        stale.get_by_test_id("save").click()
        expect(stale.get_by_test_id("conflict")).to_be_visible()
        assert (film / "storyboard.json").read_bytes() == written
        stale.get_by_test_id("conflict-reload").click()
        expect(stale.get_by_test_id("conflict")).to_be_hidden()
        assert order(stale) == ["walk", "hug", "wave"]
        stale.close()

        # Rendered: progress per stage and per shot, then the player plays the new, longer film with subtitles.
        page.keyboard.press("Escape")  # the editor closed: the board and the dock take the width
        page.get_by_test_id("render").click()
        progress = page.get_by_test_id("progress")
        expect(progress.locator('[data-stage="time"][data-state="done"]')).to_be_visible(timeout=30_000)
        page.screenshot(path=str(SCREENSHOTS / "rendering.png"))
        expect(page.get_by_test_id("render-state")).to_contain_text("finished", timeout=90_000)
        expect(progress.locator('.shot-chip[data-state="done"]')).not_to_have_count(0)
        seconds_after = film_seconds(film)
        assert seconds_after > seconds_before + 2
        page.wait_for_function("() => document.querySelector('[data-testid=player]').readyState >= 1", timeout=20_000)
        shown = page.evaluate("() => document.querySelector('[data-testid=player]').duration")
        assert shown == pytest.approx(seconds_after, abs=0.25)
        page.wait_for_function("""() => { const t = document.querySelector('[data-testid=player] track');
            return t && t.track.cues && t.track.cues.length > 0; }""", timeout=10_000)
        expect(page.get_by_test_id("download-film.mp4")).to_be_visible()
        assert not errors, errors
        browser.close()


def test_a_folder_that_is_one_film_opens_straight_on_its_panels(tmp_path: Path) -> None:
    """The studio started in the film's own folder: no list of films; the panels, a keyframe drawn by the
    animatic before any render, and the film-level check shown on the film's settings."""
    write_board(tmp_path, three_shot_board("animatic"))
    with serving(tmp_path) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(url)
        expect(page.get_by_test_id("card-hug")).to_be_visible()
        expect(page.locator("#films-view")).to_be_hidden()
        keyframes_shown(page)
        page.get_by_role("button", name="Film settings").click()
        expect(page.locator('#editor [data-finding="target_duration"]')).to_contain_text("target")
        browser.close()


def lambda_has(name: str):
    import re

    return re.compile(rf"(^|\s){re.escape(name)}(\s|$)")


