"""The append-only audit log shared by power actions and console attaches.

JSON lines, one `os.write` per line on an `O_APPEND` descriptor, so that several
admins on the same bastion can share one file without interleaving or losing a
line. Written before and after every action: an attempt that crashes half-way
still leaves its first line.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lautre_tui import locations

FILE_MODE = 0o660  # the admins' group appends to a shared log; others nothing


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts, and from where, as far as the bastion knows."""

    user: str
    source: str  # the SSH client's address, or "local"

    @classmethod
    def current(cls) -> Actor:
        """`$SUDO_USER` first (an admin who sudo'ed is still that admin), then `$USER`;
        the source is the client address of `$SSH_CONNECTION`."""
        user = os.environ.get("SUDO_USER") or os.environ.get("USER") or os.environ.get("LOGNAME")
        if not user:
            try:
                import pwd

                user = pwd.getpwuid(os.getuid()).pw_name
            except (ImportError, KeyError):
                user = str(os.getuid())
        connection = os.environ.get("SSH_CONNECTION", "").split()
        source = connection[0] if connection else f"local ({socket.gethostname()})"
        return cls(user=user, source=source)


def utc_now() -> str:
    """An ISO 8601 UTC time to the second, as written in logs and transcripts."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


AUDIT_ENV = "LAUTRE_TUI_AUDIT_LOG"


def default_audit_path() -> Path:
    """`$LAUTRE_TUI_AUDIT_LOG` (a file shared by the admins of a bastion), else
    `$XDG_STATE_HOME/lautre-tui/audit.jsonl`."""
    shared = os.environ.get(AUDIT_ENV)
    return Path(shared).expanduser() if shared else locations.state_dir() / "audit.jsonl"


class AuditUnwritable(Exception):
    """The audit log cannot take a line; `str()` says which file and why."""


class AuditLog:
    """Appends one JSON object per event; never rewrites or truncates."""

    def __init__(self, path: Path | None = None, actor: Actor | None = None) -> None:
        self.path = path if path is not None else default_audit_path()
        self.actor = actor if actor is not None else Actor.current()

    def record(self, action: str, device: str, result: str, **details: Any) -> dict[str, Any]:
        """Append an event and return it; `details` must be JSON-serialisable.

        Raises AuditUnwritable (a directory in the file's place, a full disk, no
        permission): callers decide whether to act without a record."""
        event: dict[str, Any] = {
            "time": utc_now(),
            "user": self.actor.user,
            "source": self.actor.source,
            "action": action,
            "device": device,
            "result": result,
            **details,
        }
        line = (json.dumps(event, ensure_ascii=False, default=str) + "\n").encode("utf-8")
        try:
            locations.private_dir(self.path.parent)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
            try:
                if os.fstat(fd).st_size == 0:  # just created: the umask took group write away
                    with contextlib.suppress(OSError):
                        os.fchmod(fd, FILE_MODE)
                if os.write(fd, line) != len(line):
                    raise OSError(28, "short write (disk full?)")
            finally:
                os.close(fd)
        except OSError as error:
            raise AuditUnwritable(
                f"cannot write the audit log {self.path}: {error.strerror or error}"
            ) from error
        return event

    def read(self) -> list[dict[str, Any]]:
        """Every event in the file, oldest first (for the UI and for tests)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in text.splitlines() if line.strip()]
