"""Runtime faults and signals: broken state files in a film folder, a broken catalogue database,
an LLM server that answers wrongly or never, signals to a run, workers that die or outlive their
parent, broken plug-ins. Each ends in one line and a non-zero exit (or a repaired run), never a
traceback, a hang or an orphan process."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from storyagent.errors import LLMError, StoryagentError
from storyagent.planners import plan
from storyagent.run import film
from tests.helpers.cli import storyagent
from tests.helpers.examples import SOUTH
from tests.test_graph import Recorder

PREMISE = "polar bear visits penguins"


def one_line_error(result, *words: str) -> None:
    """The run failed with one red line that names `words`, and no traceback."""
    assert result.returncode not in (0, None), result.stdout[-500:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr[-3000:]
    for word in words:
        assert word in lines[0], lines[0]


def storyboard_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "film"
    folder.mkdir()
    shutil.copy(SOUTH, folder / "storyboard.json")
    return folder


# -- the run's own state files ----------------------------------------------------------------


def garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database\n" * 200)


def cut_short(path: Path) -> None:
    with open(path, "r+b") as file:
        file.truncate(path.stat().st_size // 3)


def rows_that_do_not_decode(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE checkpoints SET checkpoint = ?", (b"\xc1\xff" * 50,))


def rows_of_something_else(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE checkpoints SET checkpoint = ?", (b"\x2a",))  # msgpack for 42


def tables_of_another_version(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.executescript("DROP TABLE writes; CREATE TABLE writes (x)")


@pytest.mark.parametrize("corrupt", [garbage, cut_short, rows_that_do_not_decode, rows_of_something_else,
                                     tables_of_another_version])
def test_an_unreadable_checkpoint_file_is_set_aside_and_the_run_starts_afresh(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, corrupt) -> None:
    rec = Recorder(monkeypatch, fail_once="edit")
    with pytest.raises(Exception):
        film.make(PREMISE, tmp_path / "f")
    checkpoints = tmp_path / "f" / ".storyagent" / "checkpoints.sqlite"
    corrupt(checkpoints)
    events: list[dict] = []
    result = film.make(PREMISE, tmp_path / "f", progress=events.append)
    assert result.film is not None and "export" in rec.calls
    notices = [e["message"] for e in events if e.get("event") == "notice"]
    assert len(notices) == 1 and "checkpoints.sqlite" in notices[0] and "afresh" in notices[0]
    assert (checkpoints.parent / "checkpoints.sqlite.broken").is_file(), "the unreadable file was not kept"
    rec.calls.clear()
    film.make(PREMISE, tmp_path / "f")
    assert rec.calls == [], "the fresh checkpoints did not record the finished run"


def test_an_unreadable_catalogue_is_set_aside_by_a_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    Recorder(monkeypatch)
    (tmp_path / "f" / ".storyagent").mkdir(parents=True)
    garbage(tmp_path / "f" / ".storyagent" / "catalogue.sqlite")
    events: list[dict] = []
    film.make(PREMISE, tmp_path / "f", progress=events.append)
    assert any("catalogue.sqlite" in e.get("message", "") for e in events)
    assert (tmp_path / "f" / ".storyagent" / "catalogue.sqlite.broken").read_bytes().startswith(b"this is not")
    from storyagent.run import catalogue

    assert [run.status for run in catalogue.runs(tmp_path / "f")] == ["done"]


@pytest.mark.parametrize("command", ["status", "history"])
def test_status_and_history_of_an_unreadable_catalogue_are_one_line(tmp_path: Path, command: str) -> None:
    folder = storyboard_folder(tmp_path)
    (folder / ".storyagent").mkdir()
    garbage(folder / ".storyagent" / "catalogue.sqlite")
    one_line_error(storyagent(command, str(folder)), "catalogue.sqlite", "not a database")
    assert (folder / ".storyagent" / "catalogue.sqlite").read_bytes().startswith(b"this is not"), "a look changed it"


@pytest.mark.parametrize("content", [b'{"fps": 24', b"[]", b"\xff\xfe" * 100, b'{"fps": 24}'])
def test_status_with_an_unreadable_timeline_is_one_line(tmp_path: Path, content: bytes) -> None:
    folder = storyboard_folder(tmp_path)
    (folder / "timeline.json").write_bytes(content)
    one_line_error(storyagent("status", str(folder)), "timeline.json", "storyagent render")


@pytest.mark.parametrize(("url", "words"), [
    ("garbage", ["STORYAGENT_DATABASE_URL", "not a database URL"]),
    ("postgresql+psycopg://user:secret@localhost/films", ["postgresql", "driver is not installed"]),
    ("mysql+nosuchdriver://user@localhost/films", ["STORYAGENT_DATABASE_URL"]),
    ("sqlite:////nonexistent-folder/films.db", ["unable to open"]),
])
def test_a_wrong_database_url_is_one_line(tmp_path: Path, url: str, words: list[str]) -> None:
    folder = storyboard_folder(tmp_path)
    for command in ("history", "status"):
        result = storyagent(command, str(folder), env={"STORYAGENT_DATABASE_URL": url})
        one_line_error(result, *words)
        assert "secret" not in result.stderr


def test_a_run_with_a_wrong_database_url_stops_before_any_work(tmp_path: Path) -> None:
    folder = storyboard_folder(tmp_path)
    result = storyagent("render", str(folder / "storyboard.json"), env={"STORYAGENT_DATABASE_URL": "garbage"})
    one_line_error(result, "STORYAGENT_DATABASE_URL")
    assert not (folder / "voice").exists() and not (folder / "cast").exists()


# -- signals and orphans ------------------------------------------------------------------------

SIGNAL_PREMISE = "a penguin meets a seal"
SMALL = ["--duration", "12", "--resolution", "320x180", "--fps", "12"]


def start_make(out: Path, *extra: str) -> subprocess.Popen:
    """A real `make` in a session of its own (so the test can find every process it starts), with its
    progress as JSON lines."""
    return subprocess.Popen([sys.executable, "-m", "storyagent", "make", SIGNAL_PREMISE, "-o", str(out), *SMALL,
                             "--log-json", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for(process: subprocess.Popen, stage: str, event: str) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        if (json.loads(line).get("stage"), json.loads(line).get("event")) == (stage, event):
            time.sleep(0.3)  # let what comes next get under way
            return
    raise AssertionError(f"the run ended before {stage} {event}")


def session_processes(process: subprocess.Popen) -> list[str]:
    """Every process still alive in the session `process` leads: its workers, their ffmpeg, the resource tracker."""
    listing = subprocess.run(["ps", "-eo", "pid=,sid=,stat=,args="], capture_output=True, text=True,
                             check=True).stdout
    return [line for line in listing.splitlines()
            if line.split()[1] == str(process.pid) and not line.split()[2].startswith("Z")]


def assert_no_survivors(process: subprocess.Popen, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while session_processes(process) and time.monotonic() < deadline:
        time.sleep(0.2)
    survivors = session_processes(process)
    for line in survivors:  # never leave them running, whatever the test says
        os.kill(int(line.split()[0]), signal.SIGKILL)
    assert not survivors, f"still running after the run ended: {survivors}"


def stopped_cleanly(process: subprocess.Popen, signum: int) -> None:
    try:
        _, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise AssertionError("the run did not stop") from None
    assert process.returncode == 128 + signum, stderr
    assert stderr.strip() == "stopped; run the same command again to resume", stderr[-3000:]


@pytest.mark.parametrize(("signum", "to_group", "stage", "event"), [
    (signal.SIGINT, True, "render", "shot"),  # Ctrl-C in the terminal: the whole group
    pytest.param(signal.SIGINT, True, "edit", "start", marks=pytest.mark.slow),  # the shot pool is idle
    pytest.param(signal.SIGTERM, False, "render", "shot", marks=pytest.mark.slow),  # kill PID
    pytest.param(signal.SIGHUP, False, "render", "shot", marks=pytest.mark.slow),  # the terminal closed
    pytest.param(signal.SIGTERM, True, "voice", "start", marks=pytest.mark.slow),
], ids=lambda value: getattr(value, "name", str(value)))
def test_a_signal_stops_a_run_in_one_line_and_it_resumes(tmp_path: Path, signum: int, to_group: bool,
                                                         stage: str, event: str) -> None:
    out = tmp_path / "film"
    process = start_make(out, "--jobs", "2")
    wait_for(process, stage, event)
    (os.killpg if to_group else os.kill)(process.pid, signum)
    stopped_cleanly(process, signum)
    assert_no_survivors(process)
    from storyagent.run import catalogue

    assert catalogue.runs(out)[-1].status == "stopped"
    result = storyagent("make", SIGNAL_PREMISE, "-o", str(out), *SMALL, "--jobs", "2")
    assert result.returncode == 0 and "resuming" in result.stderr, result.stderr[-2000:]
    assert (out / "film.mp4").is_file()


def test_the_shot_workers_die_with_a_killed_run_and_write_nothing_more(tmp_path: Path) -> None:
    out = tmp_path / "film"
    process = start_make(out, "--jobs", "2")
    wait_for(process, "render", "shot")
    os.kill(process.pid, signal.SIGKILL)  # the CLI alone, as `kill -9 PID` does
    process.wait(timeout=30)
    assert_no_survivors(process, within=4.0)

    def files() -> dict[str, tuple[int, int]]:
        return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}

    before = files()
    time.sleep(2)
    assert files() == before, "something went on writing into the film folder after the run was killed"


# -- an LLM server that answers wrongly, or never --------------------------------------------


class RawServer:
    """An HTTP server on 127.0.0.1 that answers every request the same raw way: `reply(handler)`."""

    def __init__(self, reply) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.requests += 1
                try:
                    reply(self)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up
                    pass

        server = self
        self.requests = 0
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        threading.Thread(target=self.http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/v1"

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


def answer(status: int, body: bytes, content_type: str = "application/json"):
    def reply(handler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("retry-after-ms", "20")
        handler.end_headers()
        handler.wfile.write(body)

    return reply


def never_answers(handler) -> None:
    time.sleep(30)


def closes_the_connection(handler) -> None:
    handler.close_connection = True
    handler.connection.shutdown(socket.SHUT_RDWR)


HTML = b"<!doctype html><html><body><h1>Welcome to nginx!</h1></body></html>"


@pytest.mark.parametrize("reply", [
    answer(200, HTML, "text/html"),
    answer(200, HTML),
    answer(200, b""),
    answer(200, b"null"),
    answer(200, b'{"hello": "world"}'),
    answer(200, b'{"choices": []}'),
    answer(200, b'{"choices": [{"message": {"content": 42}}]}'),
    answer(200, b"\xff\xfe\x00garbage"),
    answer(500, HTML, "text/html"),
    answer(502, b""),
    answer(429, b'{"error": {"message": "slow down"}}'),
    answer(403, b'{"error": {"message": "forbidden"}}'),
    answer(302, b""),
    closes_the_connection,
], ids=["html", "html-as-json", "empty", "null", "wrong-json", "no-choices", "content-not-text", "binary",
        "500-html", "502-empty", "429-always", "403", "302", "closes"])
def test_an_llm_server_that_answers_wrongly_is_one_line(reply) -> None:
    server = RawServer(reply)
    try:
        started = time.monotonic()
        with pytest.raises(LLMError) as error:
            plan(PREMISE, planner="llm", llm_base_url=server.url, llm_model="m", timeout=5, max_retries=1)
        assert "\n" not in str(error.value) and server.url in str(error.value)
        assert time.monotonic() - started < 8
    finally:
        server.close()


def trickles(handler) -> None:
    """A 500 whose body never ends: a byte now and then, each within any read timeout."""
    handler.send_response(500)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    for _ in range(100):
        handler.wfile.write(b" ")
        handler.wfile.flush()
        time.sleep(0.2)


@pytest.mark.parametrize("reply", [never_answers, trickles], ids=["never-answers", "trickles"])
def test_an_llm_deadline_holds_across_retries_and_the_message_says_the_real_time(reply) -> None:
    server = RawServer(reply)
    try:
        started = time.monotonic()
        with pytest.raises(LLMError, match=r"did not answer within 1\.\d s") as error:
            plan(PREMISE, planner="llm", llm_base_url=server.url, llm_model="m", timeout=1.0, max_retries=2)
        took = time.monotonic() - started
        assert took < 1.8, f"three tries of 1 s each took {took:.1f} s, the message says {error.value}"
    finally:
        server.close()


# -- renderers and plug-ins that misbehave ----------------------------------------------------

BAD_RENDERER = '''
import os
import numpy as np
from storyagent.cache import source_version
from storyagent.renderers.base import ShotRenderer


class BadRenderer(ShotRenderer):
    """Misbehaves as $BAD_RENDERER says, on shot a2 only."""

    name = "bad"
    version = source_version(__file__)

    def __init__(self, options) -> None:
        pass

    def frames(self, job):
        mode = os.environ.get("BAD_RENDERER", "") if job.shot_id == "a2" else ""
        if mode == "abort":
            os.abort()
        if mode == "raise":
            raise ValueError("the model said no")
        if mode == "memory":
            raise MemoryError()
        count = job.frames - 3 if mode == "short" else job.frames + 5 if mode == "long" else job.frames
        for _ in range(count):
            yield np.full((job.height, job.width, 3), 90, np.uint8)
'''

GREY = {
    "title": "Grey",
    "characters": [{"id": "nanuk", "name": "Nanuk"}],
    "locations": [{"id": "north", "name": "North", "biome": "sea-ice"}],
    "scenes": [{"id": "a", "location": "north", "shots": [
        {"id": "a1", "camera": {"size": "wide", "duration": 2.0}, "lines": [{"speaker": "narrator", "text": "Grey."}]},
        {"id": "a2", "camera": {"size": "medium", "duration": 2.0}},
    ]}],
}


def install(site: Path, distribution: str, group: str, entry: str, module: str | None = None, source: str = "") -> None:
    """A package as pip would leave it: a module and the metadata naming its entry point."""
    if module:
        (site / f"{module}.py").write_text(source)
    info = site / f"{distribution.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{group}]\n{entry}\n")


@pytest.fixture
def plugins(tmp_path: Path) -> dict[str, str]:
    """The environment of a machine with a misbehaving renderer and a broken plug-in installed."""
    site = tmp_path / "site"
    site.mkdir()
    install(site, "bad-renderer", "storyagent.renderers", "bad = bad_renderer:BadRenderer", "bad_renderer", BAD_RENDERER)
    install(site, "broken-plugin", "storyagent.renderers", "broken = broken_plugin:Renderer", "broken_plugin",
            "import a_module_that_is_not_installed\n")
    install(site, "broken-narrator", "storyagent.narrators", "mute = no_such_module:Narrator")
    (tmp_path / "grey.json").write_text(json.dumps(GREY))
    return {"PYTHONPATH": os.pathsep.join([str(site), *filter(None, [os.environ.get("PYTHONPATH")])])}


def render_grey(tmp_path: Path, env: dict[str, str], renderer: str, mode: str = "") -> subprocess.CompletedProcess:
    return storyagent("render", str(tmp_path / "grey.json"), "-o", str(tmp_path / "film"), "--renderer", renderer,
                      "--resolution", "64x64", "--fps", "8", "--jobs", "1", "--quiet", env={**env, "BAD_RENDERER": mode},
                      timeout=120)


def test_a_plug_in_that_does_not_import_is_named_and_the_others_still_work(tmp_path: Path, plugins) -> None:
    one_line_error(render_grey(tmp_path, plugins, "broken"), "'broken'", "a_module_that_is_not_installed")
    result = render_grey(tmp_path, plugins, "bad")
    assert result.returncode == 0, result.stderr[-2000:]
    one_line_error(storyagent("render", str(tmp_path / "grey.json"), "--voice-engine", "mute", env=plugins), "'mute'")
    assert "Traceback" not in storyagent("render", "--help", env=plugins).stderr


@pytest.mark.parametrize(("mode", "words"), [
    ("raise", ["shot a2", "bad renderer failed", "ValueError: the model said no", "errors/a2.txt"]),
    pytest.param("memory", ["shot a2", "out of memory"], marks=pytest.mark.slow),
    pytest.param("short", ["shot a2", "gave 13 frames, not the 16"], marks=pytest.mark.slow),
    pytest.param("long", ["shot a2", "more than the 16 frames"], marks=pytest.mark.slow),
    pytest.param("abort", ["a render worker died", "run the same command again"], marks=pytest.mark.slow),
])
def test_a_renderer_that_misbehaves_is_one_line_naming_the_shot(tmp_path: Path, plugins, mode: str,
                                                                  words: list[str]) -> None:
    one_line_error(render_grey(tmp_path, plugins, "bad", mode), *words)
    assert not (tmp_path / "film" / "film.mp4").exists()
    if mode == "raise":
        assert "the model said no" in (tmp_path / "film" / ".storyagent" / "errors" / "a2.txt").read_text()
    result = render_grey(tmp_path, plugins, "bad")  # the renderer fixed: the film is made
    assert result.returncode == 0 and (tmp_path / "film" / "film.mp4").is_file(), result.stderr[-2000:]


def test_two_plug_ins_with_one_name_are_named(tmp_path: Path, plugins) -> None:
    site = Path(plugins["PYTHONPATH"].split(os.pathsep)[0])
    install(site, "another-bad", "storyagent.renderers", "bad = another_bad:BadRenderer", "another_bad", BAD_RENDERER)
    one_line_error(render_grey(tmp_path, plugins, "bad"), "two installed packages", "'bad'")


# -- the folder's lock and state files where they cannot be used -------------------------------


@pytest.mark.parametrize("make_lock", [Path.mkdir, lambda path: os.mkfifo(path)], ids=["folder", "fifo"])
def test_a_lock_file_that_is_not_a_file_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, make_lock) -> None:
    Recorder(monkeypatch)
    (tmp_path / "f" / ".storyagent").mkdir(parents=True)
    make_lock(tmp_path / "f" / ".storyagent" / "lock")
    with pytest.raises(StoryagentError, match="cannot open the folder's lock file"):
        film.make(PREMISE, tmp_path / "f")


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("chattr"), reason="needs root and chattr")
def test_checkpoints_in_a_folder_that_cannot_be_written_are_not_set_aside(monkeypatch: pytest.MonkeyPatch,
                                                                           tmp_path: Path) -> None:
    Recorder(monkeypatch)
    film.make(PREMISE, tmp_path / "f")
    state = tmp_path / "f" / ".storyagent"
    for side_file in state.glob("checkpoints.sqlite-*"):
        side_file.unlink()
    before = (state / "checkpoints.sqlite").read_bytes()
    if subprocess.run(["chattr", "+i", str(state)], check=False).returncode:
        pytest.skip("this file system has no immutable flag")
    try:
        with pytest.raises(StoryagentError, match=r"checkpoints.sqlite: cannot be opened|cannot write there"):
            film.make(PREMISE, tmp_path / "f")
    finally:
        subprocess.run(["chattr", "-i", str(state)], check=True)
    assert (state / "checkpoints.sqlite").read_bytes() == before and not (state / "checkpoints.sqlite.broken").exists()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_an_unreachable_ray_cluster_is_one_line_and_the_next_command_uses_its_own_executor(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    folder = tmp_path / "film"
    folder.mkdir()
    (folder / "storyboard.json").write_text(json.dumps(GREY))
    small = ["--resolution", "64x64", "--fps", "8", "--quiet"]
    started = time.monotonic()
    result = storyagent("render", str(folder / "storyboard.json"), "--executor", "ray", "--ray-address",
                        f"127.0.0.1:{closed_port()}", *small, timeout=120)
    assert "Traceback" not in result.stderr and result.returncode != 0
    assert "cannot reach the Ray cluster" in result.stderr.splitlines()[-1]
    assert time.monotonic() - started < 60, "Ray was left to wait for a head that is not there"
    # The stopped run resumes, as this command says: on this machine.
    result = storyagent("render", str(folder / "storyboard.json"), *small, timeout=300)
    assert result.returncode == 0 and (folder / "film.mp4").is_file(), result.stderr[-2000:]
