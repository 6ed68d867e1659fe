"""The studio's server, as a browser (or an attacker's page) would meet it: every route wants the token,
the Host must be this server's, changes must come from its own page, no file outside the film folder is
served, saving writes exactly what the CLI writes, and a render streams its progress and ends in a film
the player can seek."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from starlette.routing import Route
from starlette.testclient import TestClient

from storyagent.storyboard import Storyboard
from storyagent.studio import create_app
from tests.helpers.hosted import three_shot_board, write_board

TOKEN = "test-token-abc123"
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
SMALL = {"width": 256, "height": 144, "fps": 12, "voice_engine": "espeak"}  # espeak: a core dependency, and quick
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def films(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("studio")
    write_board(root / "ice", three_shot_board("animatic"))
    (root / "outside.txt").write_text("a file next to the films, not in one", encoding="utf-8")
    (root / "ice" / "escape").symlink_to(root / "outside.txt")
    (root / "ice" / "notes.txt").write_text("the director's notes", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def app(films: Path):
    return create_app(films, TOKEN, "127.0.0.1", PORT, run_options=SMALL)


@pytest.fixture
def client(app) -> TestClient:
    return TestClient(app, base_url=BASE, headers={"X-Storyagent-Token": TOKEN})


@pytest.fixture
def stranger(app) -> TestClient:
    return TestClient(app, base_url=BASE)


def example_url(route: Route) -> str:
    values = {"film": "ice", "shot": "walk", "file": "index.html", "path": "storyboard.json", "speaker": "narrator"}
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values[m[1]], route.path)


def board_bytes(film_dir: Path) -> bytes:
    return (film_dir / "storyboard.json").read_bytes()


# -- the guard ----------------------------------------------------------------------------------


def test_every_route_refuses_a_missing_or_wrong_token(app, stranger: TestClient) -> None:
    routes = [route for route in app.routes if isinstance(route, Route)]
    assert {"/", "/static/{file:path}", "/api/films/{film}/events", "/api/films/{film}/files/{path:path}"} <= \
        {route.path for route in routes}
    for route in routes:
        for method in route.methods - {"HEAD"}:
            url = example_url(route)
            assert stranger.request(method, url).status_code == 403, (method, url)
            assert stranger.request(method, url, params={"token": "wrong"}).status_code == 403, (method, url)
            wrong = stranger.request(method, url, headers={"X-Storyagent-Token": TOKEN[:-1]})
            assert wrong.status_code == 403 and "token" in wrong.json()["error"], (method, url)
    assert stranger.get("/no/such/page").status_code == 403  # even a 404 is not told without the token


def test_the_token_opens_the_page_from_the_query_or_the_header(stranger: TestClient, client: TestClient) -> None:
    page = stranger.get("/", params={"token": TOKEN})
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert page.headers["referrer-policy"] == "no-referrer"  # the token in the URL never leaks to another site
    assert client.get("/api/films").json() == [{"film": "ice", "title": "Ice Friends", "shots": 3, "has_film": False}]


@pytest.mark.parametrize("host", ["evil.example:8765", "127.0.0.1:9999", "127.0.0.1", "attacker.test"])
def test_a_wrong_host_is_refused(client: TestClient, host: str) -> None:
    answer = client.get("/api/films", headers={"Host": host})
    assert answer.status_code == 403 and "Host" in answer.json()["error"]


def test_localhost_is_this_server_too(client: TestClient) -> None:
    assert client.get("/api/films", headers={"Host": f"localhost:{PORT}"}).status_code == 200


def test_a_change_from_another_origin_is_refused(client: TestClient, films: Path) -> None:
    before = board_bytes(films / "ice")
    etag = client.get("/api/films/ice/storyboard").headers["etag"]
    put = client.put("/api/films/ice/storyboard", content=before,
                     headers={"If-Match": etag, "Origin": "http://evil.example"})
    assert put.status_code == 403 and board_bytes(films / "ice") == before
    assert client.post("/api/films/ice/render", headers={"Origin": "null"}).status_code == 403
    assert client.post("/api/films/ice/lint", content=before, headers={"Origin": BASE}).status_code == 200
    assert client.get("/api/films", headers={"Origin": "http://evil.example"}).status_code == 200  # reading is not changing


# -- no file outside the film folder ---------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/api/films/ice/files/%2e%2e/outside.txt",
    "/api/films/ice/files/%2E%2E%2Foutside.txt",
    "/api/films/ice/files/shots/%2e%2e/%2e%2e/outside.txt",
    "/api/films/ice/files/%2Fetc%2Fpasswd",
    "/api/films/ice/files//etc/passwd",
    "/api/films/ice/files/escape",  # a link inside the folder that leads out of it
    "/api/films/ice/files/",
    "/api/films/ice/files/shots",  # a folder is no file
    "/api/films/%2e%2e/storyboard",
    "/api/films/%2e/storyboard",  # '.' is a film only when the root is one
    "/api/films/.storyagent/storyboard",
    "/static/%2e%2e/server.py",
    "/static/%2e%2e%2fserver.py",
])
def test_paths_out_of_the_folder_are_not_found(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404, answer.text
    assert set(answer.json()) == {"error"}


def test_a_literal_dot_dot_is_not_found(app) -> None:
    """The raw path a client that does not normalise URLs sends ('curl --path-as-is')."""
    for raw in ("/api/films/ice/files/../outside.txt", "/api/films/ice/files/./../../outside.txt",
                "/static/../server.py"):
        assert raw_status(app, raw) == 404, raw


def raw_status(app, raw: str) -> int:
    """The status `app` answers a GET of `raw`, sent as it is, with the token."""
    import asyncio

    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": raw, "raw_path": raw.encode(), "query_string": f"token={TOKEN}".encode(), "root_path": "",
             "headers": [(b"host", f"127.0.0.1:{PORT}".encode())], "client": ("127.0.0.1", 1),
             "server": ("127.0.0.1", PORT)}
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"]


def test_a_file_in_the_folder_is_served(client: TestClient) -> None:
    assert client.get("/api/films/ice/files/notes.txt").text == "the director's notes"


# -- the storyboard: read, save, conflicts, problems, lint -------------------------------------------


def test_a_saved_storyboard_is_byte_identical_to_what_the_cli_writes(client: TestClient, films: Path, tmp_path: Path) -> None:
    got = client.get("/api/films/ice/storyboard")
    assert got.status_code == 200 and got.content == board_bytes(films / "ice")
    edited = got.json()
    edited["scenes"][0]["shots"][1]["camera"]["movement"] = "dolly-in"
    edited["scenes"][0]["shots"][0]["lines"][0]["text"] = "Nanuk walks across the ice."
    saved = client.put("/api/films/ice/storyboard", json=edited, headers={"If-Match": got.headers["etag"]})
    assert saved.status_code == 200, saved.text
    expected = Storyboard.from_dict(edited).save(tmp_path / "cli.json").read_bytes()
    assert board_bytes(films / "ice") == expected
    assert saved.json()["storyboard"] == json.loads(expected)
    assert saved.json()["etag"] == saved.headers["etag"] == client.get("/api/films/ice/storyboard").headers["etag"]


def test_a_stale_save_is_refused_and_nothing_is_written(client: TestClient, films: Path) -> None:
    first = client.get("/api/films/ice/storyboard")
    meanwhile = first.json()
    meanwhile["logline"] = "Written by another editor."
    assert client.put("/api/films/ice/storyboard", json=meanwhile, headers={"If-Match": first.headers["etag"]}).status_code == 200
    on_disk = board_bytes(films / "ice")
    mine = first.json()
    mine["logline"] = "Mine, from a stale tab."
    stale = client.put("/api/films/ice/storyboard", json=mine, headers={"If-Match": first.headers["etag"]})
    assert stale.status_code == 412
    assert stale.json() == {"error": "changed on disk", "etag": client.get("/api/films/ice/storyboard").headers["etag"]}
    assert board_bytes(films / "ice") == on_disk
    assert client.put("/api/films/ice/storyboard", json=mine).status_code == 428  # no If-Match: never a blind write
    assert board_bytes(films / "ice") == on_disk


def test_an_invalid_storyboard_is_refused_with_its_json_path(client: TestClient, films: Path) -> None:
    got = client.get("/api/films/ice/storyboard")
    bad = got.json()
    bad["scenes"][0]["shots"][1]["camera"]["size"] = "medium-closeup"
    answer = client.put("/api/films/ice/storyboard", json=bad, headers={"If-Match": got.headers["etag"]})
    assert answer.status_code == 422
    problem = answer.json()["problems"][0]
    assert problem["path"] == "scenes[0].shots[1].camera.size"
    assert problem["data_path"] == "scenes.0.shots.1.camera.size"
    assert "medium-close-up" in problem["message"]  # the did-you-mean of `storyagent validate`
    assert board_bytes(films / "ice") == got.content
    dangling = got.json()
    dangling["scenes"][0]["location"] = "glacier"
    answer = client.post("/api/films/ice/lint", json=dangling)
    assert answer.status_code == 200 and answer.json()["problems"][0]["path"] == "scenes[0].location"
    assert client.put("/api/films/ice/storyboard", content=b"{not json", headers={"If-Match": "*"}).status_code == 422


def test_lint_findings_name_the_field_they_concern(client: TestClient) -> None:
    board = client.get("/api/films/ice/storyboard").json()
    board["scenes"][0]["shots"][1]["lines"][0]["text"] = "Pip waves and waves and tells a very long story " * 4
    found = client.post("/api/films/ice/lint", json=board).json()
    assert found["problems"] == []
    too_long = [f for f in found["findings"] if f["code"] == "narration-too-long"]
    assert too_long and too_long[0]["level"] == "error" and too_long[0]["path"] == "scenes[0].shots[1].lines"
    assert too_long[0]["data_path"] == "scenes.0.shots.1.lines"


def test_schema_is_the_storyboards(client: TestClient) -> None:
    assert client.get("/api/schema").json() == Storyboard.model_json_schema()


def test_errors_are_one_line_never_a_traceback(client: TestClient) -> None:
    for url in ("/api/films/ice/shots/nope/keyframe.png", "/api/films/nope/storyboard", "/api/films/ice/voices/nobody.wav"):
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert set(answer.json()) == {"error"} and "\n" not in answer.json()["error"] and "Traceback" not in answer.text


# -- pictures, render, events, files ----------------------------------------------------------------


def test_a_keyframe_is_a_png_480_wide(client: TestClient) -> None:
    answer = client.get("/api/films/ice/shots/walk/keyframe.png")
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    assert answer.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(answer.content[16:20], "big") == 480


def test_the_animatic_costs_nothing(client: TestClient) -> None:
    assert client.get("/api/films/ice/estimate").json() == {"free": True, "renderer": "animatic"}


def test_a_render_streams_its_stages_and_ends_in_a_film_the_player_can_seek(client: TestClient, films: Path) -> None:
    started = client.post("/api/films/ice/render", json={})
    assert started.status_code == 202, started.text
    assert client.post("/api/films/ice/render").status_code == 409  # one render per film at a time
    stream = client.get("/api/films/ice/events")
    assert stream.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(line.removeprefix("data: ")) for line in stream.text.splitlines() if line.startswith("data: ")]
    assert events[-1]["event"] == "finished", events[-1]
    assert events[-1]["film"] == "film.mp4" and events[-1]["duration"] > 5
    stages = {e.get("stage") for e in events}
    assert {"voice", "render", "edit"} <= stages
    assert {e["shot"] for e in events if e.get("event") == "shot"} == {"walk", "wave", "hug"}
    kinds = [(e.get("stage"), e["event"]) for e in events]
    # The page plays the film as soon as it is written, before the exports.
    assert kinds.index(("edit", "film")) < kinds.index(("export", "start")) < kinds.index((None, "finished"))

    late = client.get("/api/films/ice/events")  # a page that connects later hears the whole render
    assert late.text.count("data: ") == len(events)
    last_id = re.findall(r"^id: (\S+)$", late.text, re.MULTILINE)[-1]
    assert last_id == f"{started.json()['render']}-{len(events)}"
    again = client.get("/api/films/ice/events", headers={"Last-Event-ID": f"{started.json()['render']}-3"})
    assert again.text.count("data: ") == len(events) - 3  # a reconnecting browser goes on where it was

    whole = client.get(f"/api/films/ice/files/{events[-1]['film']}")
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
    part = client.get("/api/films/ice/files/film.mp4", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == whole.content[100:200]
    vtt = client.get("/api/films/ice/files/subtitles.vtt")
    assert vtt.status_code == 200 and vtt.text.startswith("WEBVTT") and "Nanuk" in vtt.text
    assert client.get("/api/films").json()[0]["has_film"] is True
    frame = client.get("/api/films/ice/shots/hug/keyframe.png")  # now from the rendered clip
    assert frame.status_code == 200 and frame.content[:4] == b"\x89PNG"
    voice = client.get("/api/films/ice/voices/narrator.wav")
    assert voice.status_code == 200 and voice.content[:4] == b"RIFF" and len(voice.content) > 10_000


def test_a_preview_is_the_shots_animatic(client: TestClient) -> None:
    answer = client.post("/api/films/ice/shots/wave/preview")
    assert answer.status_code == 200, answer.text
    url = answer.json()["url"]
    assert url == "/api/films/ice/files/.storyagent/studio/preview-wave.mp4"
    clip = client.get(url)
    assert clip.status_code == 200 and clip.headers["content-type"] == "video/mp4" and b"ftyp" in clip.content[:16]


# -- the command ---------------------------------------------------------------------------------------


def test_the_studio_command_prints_a_tokened_url_and_stops_cleanly(films: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    for signum in (signal.SIGINT, signal.SIGTERM):
        child = subprocess.Popen([sys.executable, "-m", "storyagent", "studio", str(films), "--no-browser", "--port", "0"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            url = None
            deadline = time.monotonic() + 20
            while url is None and time.monotonic() < deadline:
                line = child.stdout.readline()
                assert line, child.stderr.read()
                found = re.search(r"http://127\.0\.0\.1:\d+/\?token=[\w-]{20,}", line)
                url = found[0] if found else None
            assert url is not None
            with urllib.request.urlopen(url, timeout=10) as answer:
                assert answer.status == 200
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(url.split("?")[0] + "api/films", timeout=10)
            assert refused.value.code == 403
            listening = urllib.request.urlopen(url.replace("/?", "/api/films/ice/events?"), timeout=10)
            assert listening.readline() == b"retry: 2000\n"  # a page waiting for a render does not hold up the stop
            child.send_signal(signum)
            out, errors = child.communicate(timeout=15)
        finally:
            if child.poll() is None:
                child.kill()
        listening.close()
        assert child.returncode == 0, errors
        assert "studio stopped" in out and "Traceback" not in errors


# -- one film, new films -----------------------------------------------------------------------------


def test_a_folder_that_is_a_film_is_the_film_dot(tmp_path: Path) -> None:
    write_board(tmp_path / "ice", three_shot_board("animatic"))
    one = TestClient(create_app(tmp_path / "ice", TOKEN, "127.0.0.1", PORT), base_url=BASE,
                     headers={"X-Storyagent-Token": TOKEN})
    assert [film["film"] for film in one.get("/api/films").json()] == ["."]
    # A browser sends /api/films/./storyboard as /api/films/storyboard: both are the film.
    assert one.get("/api/films/storyboard").content == board_bytes(tmp_path / "ice")
    assert raw_status(one.app, "/api/films/./storyboard") == 200
    assert one.get("/api/films/files/storyboard.json").status_code == 200
    assert one.get("/api/films/files/%2e%2e/ice/storyboard.json").status_code == 404
    assert one.post("/api/films", json={"premise": "a fox flies a kite"}).status_code == 409


def test_a_new_film_is_planned_from_a_premise_and_waits_for_review(tmp_path: Path) -> None:
    maker = TestClient(create_app(tmp_path, TOKEN, "127.0.0.1", PORT, run_options=SMALL), base_url=BASE,
                       headers={"X-Storyagent-Token": TOKEN})
    assert maker.post("/api/films", json={"premise": "  "}).status_code == 422
    made = maker.post("/api/films", json={"premise": "a fox learns to fly a kite", "duration": 20, "seed": 1})
    assert made.status_code == 200, made.text
    film = made.json()["film"]
    assert (tmp_path / film / "storyboard.json").is_file() and not (tmp_path / film / "film.mp4").exists()
    listed = maker.get("/api/films").json()
    assert listed == [{"film": film, "title": made.json()["title"], "shots": listed[0]["shots"], "has_film": False}]
    assert [p.name for p in tmp_path.iterdir()] == [film]  # no planning folder left behind
