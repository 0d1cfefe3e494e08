"""Child processes that read SQLite for the exports, kept between exports: ADBC's readers
of Parquet (:mod:`.sqlite_arrow`, :mod:`.arrow_child`) and the side-by-side readers of CSV
and NDJSON (:mod:`.side_by_side`).

A child is a new interpreter (``python -c CODE FD``), never a fork of the server (which would
copy its threads and its SQLite connections) nor ``multiprocessing``'s ``spawn`` (which would
run the server's main script again). It talks with the server over one socket
(``multiprocessing.connection.Connection`` messages), first sending :data:`HELLO` once it has
imported what it needs (:meth:`Child.greet`: never waited for while an export holds writers
back); it ends when the server's end of the socket closes: the server ended, even killed
outright, or killed the child.

This module imports nothing of Bocage: the children import it too.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Sequence
from multiprocessing.connection import Connection

#: A child's first message: its modules are imported.
HELLO = b"H"
#: Seconds a new child may take to import what it needs.
START_SECONDS = 60.0


class SqliteUnavailable(Exception):
    """The export cannot be read this way (a child that did not start or ended, a function
    only the engine's connections know, a database that is not a file): before its first
    byte, the caller takes its other path (:func:`export_sql.first_of`)."""


def connect() -> Connection:
    """In a child: its end of the socket (the command line's last argument)."""
    return Connection(int(sys.argv[-1]))


class Child:
    """A child process running ``code`` and the server's end of its socket."""

    def __init__(self, code: str) -> None:
        ours, theirs = socket.socketpair()
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-c", code, str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                # the modules the server imports, where the server found them
                env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
            )
        self.connection = Connection(ours.detach())
        self.greeted = False

    def greet(self) -> None:
        """Wait (blocking) until the child has imported what it needs (once)."""
        if self.greeted:
            return
        if not self.connection.poll(START_SECONDS) or self.receive() != HELLO:
            raise SqliteUnavailable("the export process did not start")
        self.greeted = True

    def send(self, data: bytes) -> None:
        try:
            self.connection.send_bytes(data)
        except OSError as error:
            raise SqliteUnavailable(f"the export process ended: {error}") from error

    def receive(self) -> bytes:
        """The child's next message; :class:`SqliteUnavailable` when it has ended."""
        try:
            return self.connection.recv_bytes()
        except (EOFError, OSError) as error:
            raise SqliteUnavailable(f"the export process ended: {error!r}") from error

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        self.connection.close()
        self.process.wait()


class Pool:
    """The children running ``code`` of this server process: started when an export wants
    them, kept idle for the next one, at most ``most`` in all (the setting of the call)."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.lock = threading.Lock()
        self.idle: list[Child] = []
        self.children: set[Child] = set()
        self.pid = os.getpid()
        atexit.register(self.close)

    def take(self, most: int, wanted: int) -> list[Child]:
        """Up to ``wanted`` children, idle ones first, none beyond ``most`` in all; fewer
        when one cannot be started (:class:`SqliteUnavailable` only when none is had)."""
        with self.lock:
            if self.pid != os.getpid():  # a fork of the server: its children are not ours
                for child in self.children:
                    child.connection.close()  # theirs must see the server's end close
                self.idle, self.children, self.pid = [], set(), os.getpid()
            for child in [c for c in self.idle if c.process.poll() is not None]:
                self.idle.remove(child)
                self.children.discard(child)
                child.kill()
            wanted = min(wanted, most)
            taken, self.idle = self.idle[:wanted], self.idle[wanted:]
            while len(taken) < wanted and len(self.children) < most:
                try:
                    child = Child(self.code)
                except OSError as error:
                    if taken:
                        break
                    raise SqliteUnavailable(f"the export process did not start: {error}") from error
                self.children.add(child)
                taken.append(child)
            return taken

    def give_back(self, children: Sequence[Child]) -> None:
        with self.lock:
            self.idle.extend(c for c in children if c in self.children)

    def discard(self, children: Sequence[Child]) -> None:
        """Kill ``children`` (their work and their socket end with them)."""
        for child in children:
            child.kill()
        with self.lock:
            self.children.difference_update(children)

    def close(self) -> None:
        """Kill every child (at the server's exit; a child also ends when its socket does)."""
        with self.lock:
            children, self.children, self.idle = list(self.children), set(), []
        for child in children:
            child.kill()
