"""Where shots are rendered: a local process pool (default) or a Ray cluster.

Both are `concurrent.futures.Executor`s, so the render stage does not care.
A Ray task returns the clip's bytes and the driver writes the files, so the
workers need no shared film folder (a renderer that reads the characters'
reference images or the cast sheets finds them by the film folder's path, so
for such a renderer on a cluster mount the film folder at the same path on
every machine).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, Callable

from storyagent.errors import BackendError
from storyagent.renderers.base import RenderJob


SHOT_WORKER_NICENESS = 5


def local_executor(jobs: int) -> ProcessPoolExecutor:
    # spawn, not fork: the graph runs nodes in threads, and forking a threaded process is unsafe.
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_worker_started, initargs=(os.getpid(),))


def _worker_started(parent: int) -> None:
    """A shot worker answers to the run that started it, never outlives it. Ctrl-C reaches every process
    of the terminal's group: the run stops its workers itself, so a worker ignores it (no traceback of
    an idle worker); and a run killed outright (kill -9) takes its workers with it within a second
    instead of leaving them to render queued shots into the folder."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), name="exit-with-parent", daemon=True).start()
    if hasattr(os, "nice"):
        # Below the run itself: the sound stage beside the shots, which the edit waits for too, gets a core
        # of its own instead of a third of two, and the shots take all that is left. After a one-line
        # edit of the default film this brought the new film forward by 0.5 s of 4.4.
        os.nice(SHOT_WORKER_NICENESS)


def _exit_with(parent: int) -> None:
    # An orphan is adopted by another process, so its parent's pid changes: then stop where it is.
    # The next run clears what was half-written.
    while os.getppid() == parent:
        time.sleep(0.25)
    os._exit(1)


def stop_now(executor: Executor) -> None:
    """Stop the shot workers at once, mid-shot (the run was stopped): queued shots are cancelled, and a
    local pool's processes are killed (ProcessPoolExecutor can only do this itself from Python 3.14)."""
    if isinstance(executor, ProcessPoolExecutor):
        for process in list((executor._processes or {}).values()):
            process.kill()
    executor.shutdown(wait=False, cancel_futures=True)


class RayExecutor(Executor):
    """Runs each submitted function as a Ray task, asking for GPUs when the backend needs them."""

    def __init__(self, address: str | None = None, num_gpus: float = 0.0, num_cpus: int | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise BackendError("--executor ray needs Ray: pip install 'storyagent[ray]'") from None
        self._ray = ray
        self._num_gpus = num_gpus
        self._started_here = not ray.is_initialized()
        if self._started_here and address:
            _check_reachable(address)
        if self._started_here:
            try:
                ray.init(address=address, num_cpus=num_cpus if address is None else None,
                         include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
            except (ConnectionError, ValueError, RuntimeError) as err:
                raise BackendError(f"cannot reach the Ray cluster at {address or 'a new local Ray'}: {err}") from None

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        # A GPU is asked for only where the cluster has one; otherwise the task would wait forever.
        gpus = self._num_gpus if self._ray.cluster_resources().get("GPU", 0) >= self._num_gpus else 0
        task = self._ray.remote(num_gpus=gpus, max_retries=2)(fn)
        return task.remote(*args, **kwargs).future()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self._started_here and self._ray.is_initialized():
            self._ray.shutdown()


def _check_reachable(address: str) -> None:
    """Ray waits minutes, deaf to Ctrl-C, for a head that is not there: knock first, for a few seconds."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return  # 'auto', a bare name: Ray finds the cluster its own way
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as error:
        raise BackendError(f"cannot reach the Ray cluster at {address} ({error.strerror or error}); "
                           "is its head running? (see --ray-address)") from None


def render_clip_files(render: Callable[[str], str], job: str) -> dict[str, bytes]:
    """Render the RenderJob `job` (JSON) into the worker's own temporary folder and hand back every
    file written there (the clip and its pieces), by path relative to the clip's folder."""
    import tempfile

    task = RenderJob.model_validate_json(job)
    with tempfile.TemporaryDirectory() as tmp:
        render(task.model_copy(update={"out": Path(tmp) / task.out.name}).model_dump_json())
        return {str(path.relative_to(tmp)): path.read_bytes() for path in Path(tmp).rglob("*") if path.is_file()}
