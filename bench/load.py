"""HTTP load: the app under uvicorn (one worker, uvloop + httptools), driven by wrk."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve().parent / "post.lua"


@dataclass(frozen=True)
class Load:
    name: str
    connections: int
    requests: int
    seconds: float
    non2xx: int
    socket_errors: int
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(env: dict[str, str], log: Path) -> Iterator[str]:
    """``exchange serve`` (as production runs it, access log included) on a free port."""
    port = _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "exchange.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
                try:
                    if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("server not ready")
                time.sleep(0.2)
            yield url
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


def check(url: str, bodies: list[dict[str, Any]]) -> None:
    """Every body answers without errors before it is used for load."""
    for body in bodies:
        r = httpx.post(url + "/graphql", json=body, timeout=30)
        payload = r.json()
        if r.status_code != 200 or payload.get("errors"):
            raise RuntimeError(f"benchmark query failed: {r.status_code} {r.text[:300]}")


def wrk(
    url: str,
    name: str,
    bodies: list[dict[str, Any]],
    *,
    connections: int,
    seconds: int,
    threads: int = 1,
    warmup: int = 2,
) -> Load:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (Debian: apt-get install -y wrk)")
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for body in bodies:
            f.write(json.dumps(body) + "\n")
        path = f.name
    try:
        base = ["wrk", "-t", str(threads), "-c", str(connections), "-s", str(SCRIPT)]
        if warmup:
            subprocess.run(
                [*base, "-d", f"{warmup}s", url, "--", path], capture_output=True, check=True
            )
        done = subprocess.run(
            [*base, "-d", f"{seconds}s", "--timeout", "10s", url, "--", path],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(path)
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("{"))
    raw = json.loads(line)
    return Load(
        name=name,
        connections=connections,
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        non2xx=raw["non2xx"],
        socket_errors=raw["socket_errors"],
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p95_ms=raw["p95_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
    )
