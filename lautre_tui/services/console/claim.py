"""Who holds a console of this bastion, and who else is on it.

One mechanism: the flock'd claim of `backends.claims` (`consoles/HOST.lock`)
says who holds the port, and goes with its process however it ends; the
holder's socket (`consoles/HOST.sock`, see `share`) answers who is attached and
how long each has been idle.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lautre_tui.backends.claims import Holder, holder_of
from lautre_tui.backends.serial_port import ConsoleLinkError
from lautre_tui.services.console.client import ShareClient
from lautre_tui.services.console.share import socket_path
from lautre_tui.services.console.transcript import consoles_dir

WATCHING = "watching"  # the claim's `doing` when its holder only watches (a spy first there)


def claim_path(host: str) -> Path:
    return consoles_dir() / f"{host}.lock"


def share_path(host: str) -> Path:
    return socket_path(consoles_dir(), host)


def holder(host: str) -> Holder | None:
    """Who on this bastion has the console of `host` open, if anyone."""
    return holder_of(claim_path(host))


async def attendees(host: str, timeout: float = 2.0) -> list[dict[str, Any]] | None:
    """Everyone on `host`'s console as its holder says (user, source, since, mode,
    pid, idle seconds); None when nobody holds it or its holder does not answer."""
    try:
        client = await ShareClient.connect(share_path(host), timeout=timeout)
    except OSError:
        return None
    try:
        answer = await client.ask(timeout, type="who")
    finally:
        client.close()
    people = answer.get("attendees") if answer else None
    return [p for p in people if isinstance(p, dict)] if isinstance(people, list) else None


def local_time(since: str) -> str:
    """`2026-11-25T03:12:00Z` as this bastion's `03:12` (or as it came if not a time)."""
    try:
        moment = datetime.strptime(since, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return since
    return moment.astimezone().strftime("%H:%M")


def idle_text(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def describe(host: str, other: Holder, people: list[dict[str, Any]] | None = None) -> str:
    """`admin1 holds eva since 03:12 from 10.0.0.5, idle 40 s`."""
    idle = ""
    for person in people or []:
        seconds = person.get("idle")
        if person.get("pid") == other.pid and person.get("mode") != "spy":
            idle = f", idle {idle_text(seconds)}" if isinstance(seconds, int) else ""
    watching = " (only watching)" if other.doing == WATCHING else ""
    return (
        f"{other.user} holds {host} since {local_time(other.since)} from {other.source}"
        f"{idle}{watching}"
    )


def who_lines(people: list[dict[str, Any]]) -> list[str]:
    """One line per attendee, for the escape menu's `u` and `lautre-tui consoles`
    (what a holder says is only text: a field of the wrong kind is shown as `?`)."""
    lines = []
    for p in people:
        idle = p.get("idle")
        account = p.get("account")
        lines.append(
            f"{p.get('user', '?')} ({p.get('mode', '?')}) from {p.get('source', '?')} since "
            f"{local_time(str(p.get('since', '?')))}, "
            f"idle {idle_text(idle) if isinstance(idle, int) else '?'}"
            + (f", unix account {account}" if account and account != p.get("user") else "")
        )
    return lines


class ConsoleHeld(ConsoleLinkError):
    """Another admin of this bastion holds the console: watch it, or take it over."""

    def __init__(self, text: str, other: Holder) -> None:
        super().__init__(text)
        self.holder = other
