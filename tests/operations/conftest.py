"""Fixtures of the operations tests: the slow-job plugin, and ``bocage`` processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

HERE = Path(__file__).resolve().parent
BOCAGE = str(Path(sys.executable).with_name("bocage"))


@pytest.fixture(scope="session")
def opsplugin_dir(pip_target: Callable[[Path], Path]) -> Path:
    """tests/operations/opsplugin (a slow job), installed into a private folder."""
    return pip_target(HERE / "opsplugin")


@pytest.fixture
def port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Processes:
    """``bocage`` subprocesses started by a test; those still running are killed at the end."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.started: list[subprocess.Popen[str]] = []

    def start(self, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
        log = (self.tmp / f"bocage-{len(self.started)}.log").open("w")
        process = subprocess.Popen(
            [BOCAGE, *args],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=self.tmp,
        )
        self.started.append(process)
        return process

    def log(self, process: subprocess.Popen[str]) -> str:
        return (self.tmp / f"bocage-{self.started.index(process)}.log").read_text()

    def serve(self, port: int, env: dict[str, str]) -> subprocess.Popen[str]:
        """``bocage serve`` on ``port``, once /readyz answers 200."""
        process = self.start("serve", "--port", str(port), env=env)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert process.poll() is None, self.log(process)
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    return process
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the server did not get ready:\n{self.log(process)}")

    def stop(self, process: subprocess.Popen[str], timeout: float = 60) -> int:
        """SIGTERM, then its exit status."""
        process.send_signal(signal.SIGTERM)
        return process.wait(timeout)

    def kill_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    running = Processes(tmp_path)
    yield running
    running.kill_all()
