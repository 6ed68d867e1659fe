"""What the hosted renderers' tests share: small real MP4s, a three-shot storyboard, and a loopback
HTTP server a provider's fake is written on (it counts requests and misbehaves on cue)."""

from __future__ import annotations

import functools
import json
import subprocess
import tempfile
import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from storyagent.media.video import ffmpeg_exe

SECRET = "sk-test-NEVER-WRITE-THIS-9f8e7d6c5b4a"  # an API key a test can grep the film folder for


@functools.cache
def mp4(seconds: float, width: int, height: int, fps: int = 24) -> bytes:
    """A real H.264 MP4 of a moving test pattern."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "clip.mp4"
        subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi",
                        "-i", f"testsrc2=size={width}x{height}:rate={fps}:duration={seconds}",
                        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(out)], check=True)
        return out.read_bytes()


def three_shot_board(renderer: str, model: str | None = None) -> dict[str, Any]:
    """A 3-shot storyboard (about 6 s) for `renderer`: two characters, a line of narration per shot."""
    def shot(shot_id: str, who: list[str], action: str, size: str, line: str) -> dict[str, Any]:
        return {"id": shot_id, "characters": [{"character": c, "action": action} for c in who],
                "camera": {"size": size, "movement": "static", "duration": 2.0},
                "lines": [{"speaker": "narrator", "text": line}]}

    return {
        "title": "Ice Friends",
        "style": "soft watercolour storybook",
        "render": {"renderer": renderer, **({"model": model} if model else {})},
        "characters": [
            {"id": "bear", "name": "Nanuk", "description": "a young polar bear", "visual": {"keywords": ["polar bear"]}},
            {"id": "penguin", "name": "Pip", "description": "a small penguin chick", "visual": {"keywords": ["penguin"]}},
        ],
        "locations": [{"id": "ice", "name": "the ice shelf", "biome": "sea-ice", "time_of_day": "day"}],
        "scenes": [{"id": "meet", "location": "ice", "shots": [
            shot("walk", ["bear"], "walks across the ice", "wide", "Nanuk walks."),
            shot("wave", ["penguin"], "waves a flipper", "medium", "Pip waves."),
            shot("hug", ["bear", "penguin"], "hug", "medium-wide", "They hug."),
        ]}],
    }


def write_board(folder: Path, board: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "storyboard.json"
    path.write_text(json.dumps(board, indent=2), encoding="utf-8")
    return path


@dataclass
class Reply:
    status: int = 200
    body: bytes | dict | list = b""
    headers: dict[str, str] = field(default_factory=dict)


class Loopback:
    """A provider's API on 127.0.0.1. A fake subclasses it and answers in `answer(method, path, headers,
    body) -> Reply`, naming each request's route in `route(method, path)`. `count` counts requests by
    route; `misbehave(route, *replies)` makes the next requests of that route get those replies instead."""

    def __init__(self) -> None:
        self.count: Counter[str] = Counter()
        self.seen: list[tuple[str, str, dict[str, str], bytes]] = []
        self._faults: dict[str, deque[Reply]] = {}
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                reply = fake._handle(self.command, self.path, headers, body)
                data = json.dumps(reply.body).encode() if isinstance(reply.body, (dict, list)) else reply.body
                self.send_response(reply.status)
                kind = "application/json" if isinstance(reply.body, (dict, list)) else "application/octet-stream"
                for name, value in {"Content-Type": kind, **reply.headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def _handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        route = self.route(method, path)
        with self._lock:
            self.count[route] += 1
            self.seen.append((method, path, headers, body))
            queued = self._faults.get(route)
            if queued:
                return queued.popleft()
        return self.answer(method, path, headers, body)

    def misbehave(self, route: str, *replies: Reply) -> None:
        with self._lock:
            self._faults.setdefault(route, deque()).extend(replies)

    def route(self, method: str, path: str) -> str:
        raise NotImplementedError

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        raise NotImplementedError

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the condition did not come true")
        time.sleep(0.05)
