"""Watching consoles in tests: what a session shows, and a command under a pty."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import time
from collections.abc import Iterator
from contextlib import contextmanager

from lautre_tui.services.console import ConsoleSession
from tests.lab_helpers import WAIT, eventually


class Screen:
    """Collects what a session shows."""

    def __init__(self, session: ConsoleSession) -> None:
        self.data = b""
        self.status: list[str] = []
        session.subscribe(self._data, self.status.append)

    def _data(self, data: bytes | memoryview) -> None:
        self.data += data

    async def wait_for(self, text: bytes) -> None:
        await eventually(lambda: text in self.data)


class Pty:
    """A command running on a pseudo-terminal, and what it drew on it so far."""

    def __init__(self, process: subprocess.Popen[bytes], fd: int) -> None:
        self.process = process
        self.fd = fd
        self.seen = b""

    def write(self, data: bytes) -> None:
        os.write(self.fd, data)

    def read_until(self, *texts: bytes, timeout: float = WAIT) -> bytes:
        """Read until all of `texts` were drawn, the command is gone or `timeout` runs
        out; what was drawn so far, for the caller to check."""
        deadline = time.monotonic() + timeout
        while not all(text in self.seen for text in texts) and time.monotonic() < deadline:
            if select.select([self.fd], [], [], 0.1)[0]:
                try:
                    self.seen += os.read(self.fd, 65536)
                except OSError:  # the command exited and closed the terminal
                    break
            elif self.process.poll() is not None:
                break
        return self.seen

    def expect(self, *texts: bytes, timeout: float = WAIT) -> None:
        """Read until all of `texts` were drawn; fail, showing the screen, if they never are."""
        seen = self.read_until(*texts, timeout=timeout)
        missing = [text for text in texts if text not in seen]
        assert not missing, f"{missing} never came ({self.process.poll()=}): {seen[-2000:]!r}"


@contextmanager
def under_pty(
    command: list[str], env: dict[str, str], rows: int = 24, columns: int = 80
) -> Iterator[Pty]:
    """`command` in its own session on a `columns`x`rows` pty, as an admin's terminal;
    killed afterwards if still running."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    try:
        process = subprocess.Popen(
            command, stdin=child, stdout=child, stderr=child, env=env, start_new_session=True
        )
    finally:
        os.close(child)
    try:
        yield Pty(process, main)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(main)
