"""Transcripts read back: the index of when each line arrived, `lautre-tui
transcript` (plain, raw, times, filters, rotation), and the replay on attach."""

from __future__ import annotations

import os
import select
import subprocess
from collections.abc import Iterator
from datetime import datetime

import pytest

from lautre_tui.cli import main
from lautre_tui.lab.runner import Lab
from lautre_tui.services.console import ConsoleSession, transcript_path
from lautre_tui.services.console.history import lines
from lautre_tui.services.console.transcript import Transcript
from lautre_tui.ui.console_app import ConsoleApp
from lautre_tui.ui.console_screen import ConsoleScreen
from lautre_tui.ui.terminal import TerminalView
from tests.lab_helpers import WAIT, eventually
from tests.test_console import target

T0 = datetime(2020, 1, 10, 3, 12, 0).astimezone().timestamp()


def clock(*offsets: float) -> Iterator[float]:
    return iter(T0 + offset for offset in offsets)


def iso(offset: float) -> str:
    return datetime.fromtimestamp(T0 + offset).astimezone().isoformat(timespec="seconds")


def timed_session() -> None:
    """A known session: four chunks on 2020-01-10 at 03:12:00, :13:00, :22:00 and :32:00."""
    times = clock(0, 60, 600, 1200)
    transcript = Transcript("eva", clock=lambda: next(times))
    transcript.write(b"\x1b[1;31mboot\x1b[0m line one\r\nsec")
    transcript.write(b"ond line\r\n")  # no line begins here: "second" arrived at 03:12
    transcript.write(b"third \x1b]0;a title\x07line\x1b[K\r\n")
    transcript.event("BREAK sent by admin1")
    transcript.close()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    assert main(["transcript", "eva", *argv]) == 0
    return capsys.readouterr().out.splitlines()


def test_the_index_and_the_transcript_command(capsys: pytest.CaptureFixture[str]) -> None:
    timed_session()
    assert [line.when - T0 for line in lines("eva")] == [0, 0, 600, 1200, 1200]
    assert run(capsys) == [
        "boot line one",
        "second line",
        "third line",
        "",
        "[-- BREAK sent by admin1 --]",
    ]
    assert run(capsys, "--since", iso(300)) == ["third line", "", "[-- BREAK sent by admin1 --]"]
    assert run(capsys, "--until", iso(300)) == ["boot line one", "second line"]
    assert run(capsys, "--grep", r"^\w+ line$") == ["second line", "third line"]
    assert run(capsys, "--grep", r"line\s+third") == []  # a line at a time
    assert run(capsys, "--grep", "BREAK", "--timestamps")[0].startswith(iso(1200)[:19])
    stamped = run(capsys, "--timestamps", "--grep", "third")
    at = datetime.fromtimestamp(T0 + 600).astimezone().isoformat(timespec="milliseconds")
    assert stamped == [f"{at} third line"]
    assert run(capsys, "--raw", "--grep", "boot") == ["\x1b[1;31mboot\x1b[0m line one"]
    assert run(capsys, "--since", "1d") == []  # 2020-01-10 is long before the test runs


def test_the_transcript_is_read_across_rotated_files(capsys: pytest.CaptureFixture[str]) -> None:
    times = clock(*range(80))
    transcript = Transcript("eva", rotate_bytes=100, clock=lambda: next(times))
    for n in range(80):
        transcript.write(b"line %02d\r\n" % n)
    transcript.close()
    shown = run(capsys, "--timestamps")
    numbers = [int(line.split()[-1]) for line in shown]
    assert numbers == list(range(numbers[0], 80)) and numbers[0] > 0  # the oldest went
    stamps = [line.split()[0] for line in shown]
    assert stamps == sorted(stamps)
    assert shown[-1].startswith(
        datetime.fromtimestamp(T0 + 79).astimezone().isoformat(timespec="milliseconds")
    )


def test_a_bad_time_or_pattern_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    timed_session()
    assert main(["transcript", "eva", "--since", "yesterday-ish"]) == 2
    assert main(["transcript", "eva", "--grep", "("]) == 2
    assert main(["transcript", "nohost"]) == 1


async def test_attaching_replays_the_last_screenful_as_history(lab: Lab) -> None:
    transcript_path("emma").parent.mkdir(parents=True, exist_ok=True)
    old = b"".join(b"while nobody watched %02d\r\n" % n for n in range(40))
    transcript_path("emma").write_bytes(b"\x1b[31m" + old)
    session = ConsoleSession(target(lab, "emma"))
    await session.attach()
    try:
        assert b"[-- history: what emma printed before you attached --]" in session.history
        assert b"while nobody watched 39" in session.history
        assert b"while nobody watched 15" not in session.history  # one screenful
        assert b"\x1b[31m" not in session.history  # plain text, dim
    finally:
        await session.detach()
    app = ConsoleApp(target(lab, "emma"))
    async with app.run_test(size=(80, 30)) as pilot:
        await eventually(lambda: isinstance(app.screen, ConsoleScreen))
        screen = app.screen
        assert isinstance(screen, ConsoleScreen)
        await eventually(lambda: bool(screen.query(TerminalView)))  # composed
        await eventually(lambda: "[-- live --]" in screen.terminal.text())
        assert "[-- history: what emma printed" in screen.terminal.text()
        await pilot.press("ctrl+right_square_bracket", "full_stop")
        await pilot.pause(0.3)


def test_follow_prints_lines_as_they_arrive_through_rotation(
    cli: list[str], cli_env: dict[str, str]
) -> None:
    transcript = Transcript("eva", rotate_bytes=200)
    transcript.write(b"before\r\n")
    follower = subprocess.Popen(
        [*cli, "transcript", "eva", "--follow"], stdout=subprocess.PIPE, env=cli_env
    )
    try:
        assert follower.stdout is not None
        fd = follower.stdout.fileno()
        pending = bytearray()

        def next_line() -> bytes:
            while b"\n" not in pending:
                assert select.select([fd], [], [], WAIT)[0], "nothing within the deadline"
                pending.extend(os.read(fd, 65536))
            end = pending.index(b"\n") + 1
            line = bytes(pending[:end])
            del pending[:end]
            return line

        assert next_line() == b"before\n"
        for n in range(30):  # rotates several times at once
            transcript.write(b"after %02d\r\n" % n)
        for n in range(30):
            assert next_line() == b"after %02d\n" % n
    finally:
        follower.kill()
        follower.wait()
        transcript.close()
