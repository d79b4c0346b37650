"""Claims shared by the processes of one bastion: a lock file held with flock.

A PID in a file goes stale when its process dies and lies when the PID is reused;
a kernel lock does neither. The holder keeps an exclusive `flock` on the file
for as long as it holds the thing (a console port, a strip's only CLI session);
the kernel drops it when the process ends, however it ends. The holder writes
who it is into the file, for the others to read. Claiming is atomic: a console
is claimed before its port is opened, so two `lautre-tui console eva` started
together cannot both get it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path

from lautre_tui.locations import private_dir

LOCK_MODE = 0o660  # other admins of the group open it to lock it in turn


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds a claim on this bastion, from its lock file."""

    user: str
    source: str
    since: str
    pid: int
    doing: str = ""  # what for, when the holder says (e.g. "cycle elsa")


def _read(fd: int) -> Holder | None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = json.loads(os.read(fd, 4096).decode("utf-8"))
        return Holder(
            str(data["user"]),
            str(data["source"]),
            str(data["since"]),
            int(data["pid"]),
            str(data.get("doing", "")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def holder_of(path: Path) -> Holder | None:
    """The live holder of the lock at `path`, or None when nobody holds it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read(fd) or Holder("someone", "unknown", "unknown", 0)
        return None  # nobody holds it: what the file says is from a session that ended
    finally:
        os.close(fd)


class Claim:
    """An exclusive claim (a console, a strip), held until `release()` or the end of
    the process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def claim(self, user: str, source: str, since: str, doing: str = "") -> Holder | None:
        """Take the lock and say who we are; the current holder if it is taken."""
        private_dir(self.path.parent)
        for _attempt in range(5):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, LOCK_MODE)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                other = _read(fd)
                os.close(fd)
                return other or Holder("someone", "unknown", "unknown", 0)
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:  # broken (unlinked) while we opened it: take the new file
                os.close(fd)
                continue
            record = {
                "user": user,
                "source": source,
                "since": since,
                "pid": os.getpid(),
                "doing": doing,
            }
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(record).encode(), 0)
            self._fd = fd
            return None
        raise OSError(f"cannot claim {self.path}: it keeps being replaced")

    def break_lock(self) -> None:
        """Unlink a lock a hung holder keeps: it keeps its (now nameless) lock,
        and the next `claim` takes a new file."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing drops the flock
