"""Faults in the film folder, its files and the cache (issue 12: L2, L3, L4, O3, #4, #6, #12, #13 and
more): nothing a user made is lost or replaced, a broken cached artifact is made again instead of
reused, and a path storyagent cannot write is one line, never a traceback.

Root-only tricks (device nodes, read-only bind mounts, `chattr +i`, a small tmpfs for a full disk)
are skipped when the tests do not run as root."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from storyagent import cache
from storyagent.errors import BusyError, FolderError, StoryagentError, StoryboardError
from storyagent.run import catalogue, film, stages
from storyagent.storyboard import Storyboard, save_keeping_previous
from tests.helpers.cli import storyagent

PREMISE = "a fox looks for its lost kite"
SMALL = {"duration": 12, "width": 160, "height": 90}  # three spoken lines, a few seconds to make

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (mknod, mount, chattr)")


# -- helpers -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small finished film, made once; tests work on copies of it."""
    folder = tmp_path_factory.mktemp("made") / "film"
    film.make(PREMISE, folder, **SMALL)
    return folder


@pytest.fixture
def folder(made: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "film"
    shutil.copytree(made, copy, symlinks=True)
    return copy


def render(folder: Path, **options) -> film.FilmResult:
    events: list[dict] = []
    result = film.render(folder / "storyboard.json", progress=events.append, **options)
    result.timings["up-to-date"] = float(any(e.get("event") == "up-to-date" for e in events))
    return result


def built(folder: Path) -> set[str]:
    """What the last run in `folder` made again, as kind:name."""
    last = catalogue.runs(folder)[-1]
    return {f"{a.kind}:{a.name}" for a in catalogue.artifacts(folder, last.id) if a.action == "built"}


def frame_count(clip: Path) -> int:
    from storyagent.media.video import probe

    return probe(clip).video.frames


def truncate(path: Path, keep: float = 0.4) -> None:
    """Cut a file short in place, keeping its times (as a disk error or a killed copy would)."""
    times = path.stat()
    with open(path, "r+b") as file:
        file.truncate(int(times.st_size * keep))
    os.utime(path, ns=(times.st_atime_ns, times.st_mtime_ns))


def edit_a_line(folder: Path) -> None:
    board = Storyboard.load(folder / "storyboard.json")
    shot = next(s for s in board.shots() if s.lines)
    shot.lines[0].text = shot.lines[0].text.rstrip(".") + ", slowly."
    board.save(folder / "storyboard.json")


@contextmanager
def small_disk(where: Path, megabytes: float) -> Iterator[Path]:
    """A tmpfs of `megabytes` mounted at `where` (root only)."""
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={int(megabytes * 1024)}k", "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@contextmanager
def read_only(where: Path) -> Iterator[Path]:
    """`where` bind-mounted read-only over itself (root only)."""
    subprocess.run(["mount", "--bind", str(where), str(where)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(where)], check=True)
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def one_line_error(run: subprocess.CompletedProcess[str]) -> str:
    """The one error line a failed command printed last (progress bars may come before it)."""
    assert run.returncode != 0, run.stdout
    assert "Traceback" not in run.stderr, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("error:") and sum(line.startswith("error:") for line in lines) == 1, run.stderr
    return lines[-1]


# -- L2: another premise's film is never replaced -------------------------------------------------


def test_make_into_a_folder_holding_another_premises_film_is_refused(folder: Path) -> None:
    before = (folder / "film.mp4").read_bytes()
    with pytest.raises(FolderError, match="holds another film.*-o"):
        film.make("polar bear visits penguins", folder, **SMALL)
    assert (folder / "film.mp4").read_bytes() == before
    assert not list(folder.glob("storyboard.v*.json"))


def test_make_into_a_folder_holding_someone_elses_film_mp4_is_refused(tmp_path: Path) -> None:
    (tmp_path / "film.mp4").write_bytes(b"my holiday")
    with pytest.raises(FolderError, match="holds another film"):
        film.make(PREMISE, tmp_path, **SMALL)
    assert (tmp_path / "film.mp4").read_bytes() == b"my holiday"


def test_render_of_another_storyboard_into_a_finished_film_folder_is_refused(folder: Path, tmp_path: Path,
                                                                            example_board: Storyboard) -> None:
    other = tmp_path / "other.json"
    example_board.save(other)
    with pytest.raises(FolderError, match="holds another film"):
        film.render(other, folder)


# -- L3: only regular files and folders are written ------------------------------------------------


@root_only
def test_plan_never_replaces_a_device(tmp_path: Path) -> None:
    null = tmp_path / "null"
    subprocess.run(["mknod", str(null), "c", "1", "3"], check=True)
    assert "not a regular file" in one_line_error(storyagent("plan", "a fox", "-o", str(null)))
    assert null.is_char_device()


@pytest.mark.parametrize("target", ["/proc/x", "/proc/self/storyboard.json", "{tmp}/a-folder", "{tmp}/a-file/x.json"])
def test_plan_refuses_paths_that_are_not_files(tmp_path: Path, target: str, example_board: Storyboard) -> None:
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "a-file").write_text("mine")
    with pytest.raises(FolderError, match="^" + re.escape(target.format(tmp=tmp_path).removesuffix("/x.json"))):
        save_keeping_previous(example_board, target.format(tmp=tmp_path))
    assert (tmp_path / "a-file").read_text() == "mine" and list((tmp_path / "a-folder").iterdir()) == []


def test_plan_into_a_folder_is_one_line() -> None:
    one_line_error(storyagent("plan", "a fox", "-o", "/proc/self"))


@pytest.mark.parametrize("target", ["{tmp}/a-file", "/proc/self", "/proc/x"])
def test_make_refuses_a_folder_it_cannot_use(tmp_path: Path, target: str) -> None:
    (tmp_path / "a-file").write_text("mine")
    with pytest.raises(FolderError, match="^" + re.escape(target.format(tmp=tmp_path))):
        film.make("a fox", target.format(tmp=tmp_path), duration=5)
    assert (tmp_path / "a-file").read_text() == "mine"


@root_only
def test_make_into_a_read_only_mount_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "ro").mkdir()
    with read_only(tmp_path / "ro"):
        assert "Read-only file system" in one_line_error(storyagent("make", "a fox", "-d", "5", "-o", str(tmp_path / "ro")))
        assert "Read-only" in one_line_error(storyagent("plan", "a fox", "-o", str(tmp_path / "ro" / "s.json")))


@root_only
def test_make_into_an_immutable_folder_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    if subprocess.run(["chattr", "+i", str(locked)], check=False).returncode != 0:
        pytest.skip("this file system has no immutable flag")
    try:
        with pytest.raises(FolderError, match="Operation not permitted"):
            film.make("a fox", locked, duration=5)
    finally:
        subprocess.run(["chattr", "-i", str(locked)], check=True)
    assert list(locked.iterdir()) == []


# -- L4: cached artifacts are verified before reuse ------------------------------------------------


def test_a_truncated_shot_part_is_made_again(folder: Path) -> None:
    body = min((folder / "shots" / ".parts").glob("*/body.mp4"))
    frames = frame_count(body)
    truncate(body)
    result = render(folder)
    assert frame_count(body) == frames
    shot = body.parent.name.split(".")[0]
    assert f"shot:{shot}" in built(folder)
    timeline = json.loads((folder / "timeline.json").read_text())
    assert frame_count(result.film) == round(timeline["duration"] * timeline["fps"])


@pytest.mark.slow
def test_a_truncated_voice_line_is_spoken_again(folder: Path) -> None:
    wav = min((folder / "voice").glob("*.wav"))
    size = wav.stat().st_size
    truncate(wav)
    edit_a_line(folder)  # a render that does run the voice stage
    render(folder)
    assert wav.stat().st_size == size


def test_a_truncated_film_is_not_up_to_date(folder: Path) -> None:
    render(folder)  # a render of the storyboard, then the same render again
    size = (folder / "film.mp4").stat().st_size
    truncate(folder / "film.mp4")
    result = render(folder)
    assert not result.timings["up-to-date"]
    assert (folder / "film.mp4").stat().st_size == size
    assert render(folder).timings["up-to-date"]  # and now it is


@pytest.mark.slow
def test_a_truncated_shot_clip_the_exports_point_at_is_made_again(folder: Path) -> None:
    render(folder)
    clip = min((folder / "shots").glob("*.mp4"))
    frames = frame_count(clip)
    truncate(clip)
    result = render(folder)
    assert not result.timings["up-to-date"]
    assert frame_count(clip) == frames
    assert clip.name in (folder / "timeline.otio").read_text()


@pytest.mark.slow
def test_a_clip_without_a_seal_is_not_trusted(folder: Path) -> None:
    """Cache files from another storyagent version (or copied in by hand) carry no seal."""
    clip = min((folder / "shots").glob("*.mp4"))
    cache.seal_path(clip).unlink()
    edit_a_line(folder)
    render(folder)
    assert f"shot:{clip.name.split('.')[0]}" in built(folder)
    assert cache.reusable(clip)


def test_a_clock_set_back_does_not_fool_reuse(folder: Path) -> None:
    """Reuse goes by content, never by date: old dates are reused, a changed file with its old date is not."""
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, (86_400, 86_400))  # 1970
    render(folder, burn_subtitles=True)  # a new run; the shots are as they were
    assert not any(name.startswith("shot:") for name in built(folder))
    clip = min((folder / "shots").glob("*.mp4"))
    data = bytearray(clip.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, same date, other content
    clip.write_bytes(bytes(data))
    os.utime(clip, (86_400, 86_400))
    assert not cache.reusable(clip)


def test_seals_are_checked_by_size_then_digest(tmp_path: Path) -> None:
    artifact = tmp_path / "a.mp4"
    artifact.write_bytes(b"0123456789")
    assert not cache.reusable(artifact)
    cache.seal(artifact)
    assert cache.reusable(artifact)
    artifact.write_bytes(b"01234")
    assert not cache.reusable(artifact)
    cache.seal_path(artifact).write_text("garbage \xff")
    assert not cache.reusable(artifact)


# -- O3: a storyboard that is a link -------------------------------------------------------------


@pytest.mark.slow
def test_a_linked_storyboard_makes_its_film_beside_the_link(made: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(made / "storyboard.json", elsewhere / "storyboard.json")
    here = tmp_path / "here"
    here.mkdir()
    (here / "storyboard.json").symlink_to(elsewhere / "storyboard.json")
    result = film.render(here / "storyboard.json", **{k: v for k, v in SMALL.items() if k != "duration"})
    assert result.film == (here / "film.mp4").resolve()
    assert (here / "storyboard.json").is_symlink()
    assert sorted(p.name for p in elsewhere.iterdir()) == ["storyboard.json"]


def test_saving_through_a_linked_storyboard_updates_the_file_it_points_at(tmp_path: Path,
                                                                          example_board: Storyboard) -> None:
    target = tmp_path / "mine.json"
    target.write_text(example_board.to_json())
    link = tmp_path / "storyboard.json"
    link.symlink_to(target)
    example_board.title = "Another title"
    save_keeping_previous(example_board, link)
    assert link.is_symlink() and "Another title" in target.read_text()


# -- #4: the resolution the film was made with is kept -------------------------------------------


@pytest.mark.slow
def test_a_render_after_an_edit_keeps_the_films_resolution(folder: Path) -> None:
    edit_a_line(folder)
    result = render(folder)
    from storyagent.media.video import probe

    video = probe(result.film).video
    assert (video.width, video.height) == (160, 90)


# -- #6: the director's file wins -------------------------------------------------------------------


def test_an_edit_saved_while_the_run_works_wins(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from storyagent import cast

    assign = cast.assign_cast
    edited = (folder / "storyboard.json").read_text().replace('"title": "', '"title": "Edited: ', 1)

    def director_saves_meanwhile(board: Storyboard) -> Storyboard:
        (folder / "storyboard.json").write_text(edited)
        return assign(board)

    monkeypatch.setattr(cast, "assign_cast", director_saves_meanwhile)
    board = Storyboard.load(folder / "storyboard.json")
    board.narrator.engine = None  # the cast has something to write
    board.save(folder / "storyboard.json")
    with pytest.raises(StoryboardError, match="changed while this run was working"):
        film.render(folder / "storyboard.json")
    assert (folder / "storyboard.json").read_text() == edited
    assert not list(folder.glob("storyboard.v*.json"))


def test_a_read_only_storyboard_is_never_replaced(tmp_path: Path, example_board: Storyboard) -> None:
    path = tmp_path / "storyboard.json"
    path.write_text("{}")
    path.chmod(0o444)
    with pytest.raises(StoryboardError, match="read-only"):
        save_keeping_previous(example_board, path)
    assert path.read_text() == "{}" and (path.stat().st_mode & 0o777) == 0o444
    assert not list(tmp_path.glob("storyboard.v*.json"))


@pytest.mark.slow
def test_a_read_only_storyboard_that_needs_no_change_renders(folder: Path) -> None:
    render(folder)
    (folder / "storyboard.json").chmod(0o444)
    edit_free = render(folder)
    assert edit_free.film is not None and ((folder / "storyboard.json").stat().st_mode & 0o777) == 0o444


def test_a_replaced_storyboard_keeps_its_permissions(tmp_path: Path, example_board: Storyboard) -> None:
    path = tmp_path / "storyboard.json"
    path.write_text("{}")
    path.chmod(0o600)
    kept = save_keeping_previous(example_board, path)
    assert (path.stat().st_mode & 0o777) == 0o600 and kept.read_text() == "{}"


# -- #12, #13: full disks --------------------------------------------------------------------------


@root_only
def test_plan_on_a_full_disk_leaves_no_empty_copy(tmp_path: Path, example_board: Storyboard) -> None:
    with small_disk(tmp_path / "disk", 1) as disk:
        board = disk / "storyboard.json"
        board.write_text(example_board.to_json())
        (disk / "filler").write_bytes(b"x" * (1024 * 1024 - 8192 - len(example_board.to_json())))
        line = one_line_error(storyagent("plan", "a fox", "--seed", "4", "-o", str(board)))
        assert "disk is full" in line and str(disk) in line
        assert board.read_text() == example_board.to_json()
        assert sorted(p.name for p in disk.iterdir()) == ["filler", "storyboard.json"]


@root_only
def test_too_little_free_space_is_said_before_rendering(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", 3) as disk:
        line = one_line_error(storyagent("make", PREMISE, "-d", "12", "-o", str(disk / "film")))
        assert "needs about" in line and "MB free" in line and str(disk / "film") in line
        assert not (disk / "film" / "shots").exists()


@root_only
@pytest.mark.slow
def test_a_disk_that_fills_up_mid_run_is_one_line_and_leaves_no_half_file(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "check_free_space", lambda *args: None)  # the estimate would refuse before any work
    with small_disk(tmp_path / "disk", 6) as disk:
        with pytest.raises(FolderError, match="disk is full") as error:
            film.make(PREMISE, disk / "film", **SMALL)
        assert str(disk / "film") in str(error.value)
        for path in (disk / "film").rglob("*"):
            assert not cache.is_partial(path), path
        for sealed in (disk / "film").rglob(".*.seal"):
            artifact = sealed.with_name(sealed.name[1:].removesuffix(".seal"))
            assert not artifact.exists() or cache.reusable(artifact), artifact
        assert not (disk / "film" / "film.mp4").exists()


# -- read-only film folders: status and history only read ------------------------------------------


@root_only
def test_status_and_history_work_on_a_read_only_film_folder(folder: Path) -> None:
    with read_only(folder):
        for command, says in (("status", "shots current"), ("history", "make")):
            run = storyagent(command, str(folder))
            assert run.returncode == 0 and says in run.stdout, run.stderr


# -- more of our own ------------------------------------------------------------------------------


def test_a_storyboard_that_is_a_folder_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "storyboard.json").mkdir()
    one_line_error(storyagent("render", str(tmp_path / "storyboard.json")))


def test_a_storyboard_link_loop_is_refused(tmp_path: Path) -> None:
    loop = tmp_path / "storyboard.json"
    loop.symlink_to(loop)
    with pytest.raises(StoryagentError, match="symbolic links"):
        film.render(loop)
    assert loop.is_symlink()


def test_a_folder_where_a_shot_clip_goes_is_one_line_and_kept(folder: Path) -> None:
    clip = min((folder / "shots").glob("*.mp4"))
    clip.unlink()
    clip.mkdir()
    (clip / "mine.txt").write_text("mine")
    with pytest.raises(FolderError, match="a folder"):
        render(folder)
    assert (clip / "mine.txt").read_text() == "mine"


@pytest.mark.slow
def test_film_mp4_linked_to_a_users_file_is_never_written_through(folder: Path, tmp_path: Path) -> None:
    mine = tmp_path / "my-film.mp4"
    mine.write_bytes(b"my own film")
    (folder / "film.mp4").unlink()
    (folder / "film.mp4").symlink_to(mine)
    render(folder)
    assert mine.read_bytes() == b"my own film"
    assert (folder / "film.mp4").is_file() and not (folder / "film.mp4").is_symlink()


@pytest.mark.slow
def test_a_stale_lock_from_a_killed_run_does_not_block(folder: Path) -> None:
    (folder / ".storyagent" / "lock").write_text("12345")  # the file stays; its lock died with the process
    assert render(folder).film is not None


def test_two_runs_in_one_folder_are_refused_cleanly(folder: Path) -> None:
    with film._locked(folder), pytest.raises(BusyError, match="another storyagent run"):
        render(folder)


def test_a_kill_during_the_edit_leaves_no_scratch_folder(folder: Path) -> None:
    scratch = folder / ".storyagent" / "scratch" / "edit-999-abcdef12"
    scratch.mkdir(parents=True)
    (scratch / "segments.txt").write_text("file 'x'\n")
    render(folder)
    assert not (folder / ".storyagent" / "scratch").exists()
    assert not [p for p in folder.iterdir() if p.name.startswith("tmp")]


@pytest.mark.parametrize("name", ["with spaces", "ünïcødé 北極熊", "[draft] it's (v2)"])
@pytest.mark.slow
def test_folders_with_unusual_names_make_films(tmp_path: Path, name: str) -> None:
    result = film.make(PREMISE, tmp_path / name, **SMALL)
    assert result.film.is_file() and cache.reusable(result.film)


def test_a_film_folder_inside_storyagents_own_code_is_refused(tmp_path: Path) -> None:
    import storyagent

    inside = Path(storyagent.__file__).parent / "render" / "my-film"
    with pytest.raises(FolderError, match="storyagent's own"):
        film.make(PREMISE, inside, **SMALL)
    assert not inside.exists()


@pytest.mark.slow
@root_only
def test_an_unwritable_voice_folder_is_one_line(folder: Path) -> None:
    edit_a_line(folder)
    subprocess.run(["chattr", "+i", str(folder / "voice")], check=True)
    try:
        with pytest.raises(FolderError, match="voice"):
            render(folder)
    finally:
        subprocess.run(["chattr", "-i", str(folder / "voice")], check=True)


def test_the_space_estimate_grows_with_the_picture(folder: Path) -> None:
    from storyagent.timeline import Timeline

    timeline = Timeline.model_validate_json((folder / "timeline.json").read_text())
    bigger = timeline.model_copy(update={"width": timeline.width * 8, "height": timeline.height * 8})
    assert stages._edit_bytes(bigger) == pytest.approx(64 * stages._edit_bytes(timeline), rel=0.01)


def test_a_storyboard_that_is_a_pipe_is_refused_not_waited_for(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "storyboard.json")
    with pytest.raises(StoryboardError, match="not a regular file"):
        film.render(tmp_path / "storyboard.json")


@pytest.mark.parametrize("name", [".storyagent", "shots", "voice"])
def test_a_file_where_the_folder_keeps_a_subfolder_is_one_line(folder: Path, name: str) -> None:
    shutil.rmtree(folder / name)
    (folder / name).write_text("mine")
    edit_a_line(folder)  # new voice lines and shots to write
    with pytest.raises(FolderError, match=re.escape(str(folder / name))):
        render(folder)
    assert (folder / name).read_text() == "mine"


def test_status_does_not_call_a_truncated_clip_current(folder: Path) -> None:
    from storyagent.run.status import shot_statuses

    clip = min((folder / "shots").glob("*.mp4"))
    truncate(clip)
    states = {status.shot_id: status.state for status in shot_statuses(folder)}
    assert states[clip.name.split(".")[0]] != "current"

