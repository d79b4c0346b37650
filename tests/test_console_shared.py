"""One console, several admins: a writer, spies, take-over, who and messages,
across real processes of one bastion against the lab's console server."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import os
import pty
import re
import select
import signal
import socket
import stat
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from lautre_tui.lab.runner import Lab
from lautre_tui.lab.serial_device import flood_sha256
from lautre_tui.model.loader import load_layout
from lautre_tui.services.audit import Actor
from lautre_tui.services.console import (
    ConsoleHeld,
    ConsoleSession,
    holder,
    share_path,
)
from lautre_tui.services.console.share import MAX_CONNECTIONS, account_name, reachable, signed
from lautre_tui.ui.console_app import ConsoleApp
from lautre_tui.ui.console_dialogs import HeldScreen, MessageScreen
from lautre_tui.ui.console_screen import ConsoleScreen
from tests.app_helpers import go_to
from tests.conftest import REPO
from tests.console_helpers import Screen
from tests.lab_helpers import WAIT, eventually
from tests.test_console import target


class Peer:
    """Another admin's process on a console (tests/console_peer.py), driven without
    blocking the loop (the lab's servers run in it)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.first = ""

    @classmethod
    async def start(cls, lab: Lab, host: str, user: str, mode: str) -> Peer:
        url = lab.console_server.rfc2217_url(host)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.console_peer",
            host,
            url,
            user,
            mode,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=REPO,
            env=dict(os.environ),
        )
        peer = cls(process)
        peer.first = await peer.answer()
        return peer

    async def answer(self) -> str:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), WAIT)
        assert line, f"the peer ended ({self.process.returncode})"
        return line.decode().strip()

    async def ask(self, command: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(command.encode() + b"\n")
        await self.process.stdin.drain()
        return await self.answer()

    async def quit(self) -> None:
        """Asked to quit; killed if it does not (a test that failed mid-command must
        leave no process behind)."""
        if self.process.returncode is None:
            assert self.process.stdin is not None
            with contextlib.suppress(ConnectionError):
                self.process.stdin.write(b"quit\n")
                self.process.stdin.close()
            try:
                await asyncio.wait_for(self.process.wait(), WAIT)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
                raise


def admin(name: str, address: str) -> Actor:
    return Actor(name, address)


async def log_in(lab: Lab, writer: Peer, host: str) -> None:
    assert await writer.ask("send ") == "sent"
    assert await writer.ask(f"wait {host} login: ") == "seen"
    assert await writer.ask("send root") == "sent"
    assert await writer.ask("wait Password: ") == "seen"
    assert await writer.ask("send pw") == "sent"
    assert await writer.ask(f"wait root@{host}:~# ") == "seen"


async def test_a_writer_and_spies_in_three_processes_see_the_same_bytes(lab: Lab) -> None:
    writer = await Peer.start(lab, "eva", "admin1", "writer")
    spy = await Peer.start(lab, "eva", "admin2", "spy")
    mine = ConsoleSession(target(lab, "eva"), read_only=True, actor=admin("admin3", "10.0.0.3"))
    seen = Screen(mine)
    try:
        assert writer.first == "attached writer" and spy.first == "attached spy"
        await mine.attach()
        assert not mine.holding and mine.state == "spy" and "admin1 holds eva" in seen.status[-1]
        mode = stat.S_IMODE(os.stat(share_path("eva")).st_mode)
        assert mode == 0o660, oct(mode)
        await log_in(lab, writer, "eva")
        assert await spy.ask("send spy-typed") == "refused"  # a spy never sends a byte
        assert mine.send(b"mine-typed\r") is False
        count = 300_000
        expected = flood_sha256(count)
        assert await writer.ask(f"send flood {count}") == "sent"
        assert await writer.ask(f"flood {count}") == f"sha256 {expected}"
        assert await spy.ask(f"flood {count}") == f"sha256 {expected}"
        await seen.wait_for(b"flood sha256 " + expected.encode())
        start = seen.data.index(b"00000000 lautre-tui console flood")
        assert hashlib.sha256(seen.data[start : start + count]).hexdigest() == expected
        sent_to_eva = b"".join(lab.console_server.device("eva").received)
        assert b"spy-typed" not in sent_to_eva and b"mine-typed" not in sent_to_eva
        assert b"flood 300000" in sent_to_eva
        people = await mine.who()
        assert sorted((p["user"], p["mode"]) for p in people) == [
            ("admin1", "writer"),
            ("admin2", "spy"),
            ("admin3", "spy"),
        ]
        mine.tell_everyone("rebooting eva in 5 min, stay off")
        said = f"{signed('admin3', account_name(os.getuid()))}: rebooting eva in 5 min, stay off"
        for _ in range(100):  # the holder's socket, then the writer's process
            if said in await writer.ask("notices"):
                break
            await asyncio.sleep(0.05)
        assert said in await writer.ask("notices")
    finally:
        await mine.detach()
        await spy.quit()
        await writer.quit()


async def test_take_over_the_holder_watches_the_new_writer_and_is_told(lab: Lab) -> None:
    first = await Peer.start(lab, "elsa", "admin1", "writer")
    second = ConsoleSession(target(lab, "elsa"), actor=admin("admin2", "10.0.0.5"))
    seen = Screen(second)
    try:
        assert first.first == "attached writer"
        with pytest.raises(
            ConsoleHeld, match=r"admin1 holds elsa since \d\d:\d\d from 10\.0\.0\.\d+, idle \d+ s"
        ):
            await second.attach()
        await second.attach(force=True)
        assert second.holding and not second.read_only
        for _ in range(100):
            if (await first.ask("state")).startswith("spy spy holding=False"):
                break
            await asyncio.sleep(0.05)
        assert (await first.ask("state")).startswith("spy spy holding=False")
        assert "admin2 took the console" in json.loads(await first.ask("notices"))
        assert second.send(b"\r")
        assert await first.ask("wait elsa login: ") == "seen"  # the old holder watches the new one
        assert await first.ask("send root") == "refused"
        await seen.wait_for(b"elsa login: ")
        assert (
            b"console taken over by admin2" in (share_path("elsa").parent / "elsa.log").read_bytes()
        )
        audit = (share_path("elsa").parent.parent / "audit.jsonl").read_text()
        assert '"console-take-over"' in audit and '"console-taken-over"' in audit
    finally:
        await first.quit()
        await second.detach()


async def test_a_holder_too_busy_to_take_a_take_over_keeps_its_claim(lab: Lab) -> None:
    """Connections that say nothing (a runaway script) fill the holder's socket: a
    take-over is told so, and no live holder's claim is broken."""
    first = await Peer.start(lab, "elsa", "admin1", "writer")
    second = ConsoleSession(target(lab, "elsa"), actor=admin("admin2", "10.0.0.5"))
    loop = asyncio.get_running_loop()
    idle: list[socket.socket] = []
    try:
        assert first.first == "attached writer"
        with reachable(share_path("elsa")) as name:
            for _ in range(MAX_CONNECTIONS):
                idle.append(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
                idle[-1].setblocking(False)
                await loop.sock_connect(idle[-1], name)
                assert await loop.sock_recv(idle[-1], 1)  # greeted: the holder counts it
        with pytest.raises(ConsoleHeld, match="connected already"):
            await second.attach(force=True)
        assert (await first.ask("state")).endswith("holding=True")
        audit = (share_path("elsa").parent.parent / "audit.jsonl").read_text()
        assert '"console-break-lock"' not in audit
    finally:
        for sock in idle:
            sock.close()
        await first.quit()
        await second.detach()


async def test_two_take_overs_at_once_one_wins_and_no_claim_is_broken(lab: Lab) -> None:
    first = await Peer.start(lab, "elsa", "admin1", "writer")
    second = ConsoleSession(target(lab, "elsa"), actor=admin("admin2", "10.0.0.5"))
    third = ConsoleSession(target(lab, "elsa"), actor=admin("admin3", "10.0.0.6"))
    try:
        assert first.first == "attached writer"
        got = await asyncio.gather(
            second.attach(force=True), third.attach(force=True), return_exceptions=True
        )
        assert sorted(type(result).__name__ for result in got) == ["ConsoleHeld", "NoneType"]
        assert second.holding != third.holding
        audit = (share_path("elsa").parent.parent / "audit.jsonl").read_text()
        assert '"console-break-lock"' not in audit
        assert audit.count('"console-taken-over"') == 1
    finally:
        await first.quit()
        await second.detach()
        await third.detach()


async def test_a_killed_holder_clears_and_a_spy_keeps_watching(lab: Lab) -> None:
    writer = await Peer.start(lab, "ella", "admin1", "writer")
    spy = ConsoleSession(target(lab, "ella"), read_only=True, actor=admin("admin2", "10.0.0.2"))
    seen = Screen(spy)
    try:
        assert writer.first == "attached writer"
        await spy.attach()
        old_socket = os.stat(share_path("ella")).st_ino
        writer.process.send_signal(signal.SIGKILL)
        await writer.process.wait()
        # the flock went with the process: the spy holds the port itself, only watching
        await eventually(lambda: spy.holding and spy.state == "attached")
        assert holder("ella") is not None and holder("ella").user == "admin2"  # type: ignore[union-attr]
        assert os.stat(share_path("ella")).st_ino != old_socket  # the socket file replaced
        assert spy.send(b"x") is False
        new = ConsoleSession(target(lab, "ella"), actor=admin("admin3", "10.0.0.3"))
        await new.attach()  # a holder only watching hands the port over, no force needed
        await eventually(lambda: spy.state == "spy" and not spy.holding)
        assert new.send(b"\r")
        await seen.wait_for(b"ella login: ")
        await new.detach()
    finally:
        await writer.quit()
        await spy.detach()
    assert holder("ella") is None


def shown(screen: ConsoleScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).content)


async def test_the_app_says_who_holds_it_takes_over_lists_who_and_passes_messages(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USER", "admin2")
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.5 50000 10.0.0.1 22")
    first = await Peer.start(lab, "emma", "admin1", "writer")
    app = ConsoleApp(target(lab, "emma"))
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await eventually(lambda: isinstance(app.screen, HeldScreen))
            held = app.screen
            assert isinstance(held, HeldScreen)
            assert re.search(
                r"admin1 holds emma since \d\d:\d\d from 10\.0\.0\.\d+, idle", held.who
            )
            await pilot.press("f")  # take over
            await eventually(lambda: isinstance(app.screen, ConsoleScreen))
            screen = app.screen
            assert isinstance(screen, ConsoleScreen)
            await eventually(lambda: bool(screen.query("#console-footer")))
            assert shown(screen, "#console-footer").startswith("writer · ")
            for _ in range(100):
                if (await first.ask("state")).startswith("spy spy"):
                    break
                await asyncio.sleep(0.05)
            assert "admin2 took the console" in await first.ask("notices")
            await pilot.press("ctrl+right_square_bracket", "u")
            await eventually(lambda: "admin1 (spy)" in shown(screen, "#console-menu"))
            menu = shown(screen, "#console-menu")
            assert "admin2 (writer) from 10.0.0.5" in menu and "idle" in menu
            await pilot.press("escape")
            await pilot.press("ctrl+right_square_bracket", "m")
            await eventually(lambda: isinstance(app.screen, MessageScreen))
            app.screen.query_one(Input).value = "I have emma, rebooting it"
            await pilot.press("enter")
            await eventually(lambda: "I have emma" in shown(screen, "#console-footer"))
            account = account_name(os.getuid())  # the processes' account: not admin1, admin2
            for _ in range(100):
                if f"{signed('admin2', account)}: I have emma" in await first.ask("notices"):
                    break
                await asyncio.sleep(0.05)
            assert f"{signed('admin2', account)}: I have emma" in await first.ask("notices")
            assert await first.ask("say ok, I watch") == "said"
            said = f"{signed('admin1', account)}: ok, I watch"
            await eventually(lambda: said in shown(screen, "#console-footer"))
            await pilot.press("ctrl+right_square_bracket", "full_stop")
            await pilot.pause(0.3)
    finally:
        await first.quit()


async def test_consoles_lists_every_console_and_who_is_on_it(
    lab: Lab, cli: list[str], cli_env: dict[str, str]
) -> None:
    writer = await Peer.start(lab, "eva", "admin1", "writer")
    spy = await Peer.start(lab, "eva", "admin2\x1b]0;owned\x07", "spy")  # a name with a title
    try:
        listing = await asyncio.create_subprocess_exec(
            *cli,
            "consoles",
            "--layout",
            str(lab.layout_path),
            env=cli_env,
            stdout=subprocess.PIPE,
        )
        out = (await asyncio.wait_for(listing.communicate(), WAIT))[0].decode()
    finally:
        await spy.quit()
        await writer.quit()
    assert listing.returncode == 0, out
    lines = out.splitlines()
    eva = next(i for i, line in enumerate(lines) if line.startswith("eva "))
    assert re.search(
        r"admin1 \(writer\) from 10\.0\.0\.\d+ since \d\d:\d\d, idle \d+ s", lines[eva]
    )
    assert "admin2\ufffd]0;owned\ufffd (spy)" in lines[eva + 1]  # shown, never obeyed
    assert "\x1b" not in out and "\x07" not in out
    assert any(line.startswith("elsa ") and line.endswith("free") for line in lines)


async def test_the_racks_device_pane_says_who_is_on_its_console(lab: Lab) -> None:
    from lautre_tui.cli.tui import build_app
    from tests.lab_helpers import lab_layout
    from tests.test_ui_rack import _plain as pane_text

    writer = await Peer.start(lab, "eva", "admin1", "writer")
    try:
        app = build_app(lab_layout(lab), lab.layout_path, poll=False)
        async with app.run_test(size=(160, 48)) as pilot:
            rack = go_to(app, "eva")
            await pilot.pause()
            pane = pane_text(app.query_one("#device-info", Static))
            assert re.search(r"Console: admin1 holds eva since \d\d:\d\d from 10\.0\.0\.", pane)
            rack.select("emma")
            await pilot.pause()
            assert "Console: nobody on it" in pane_text(app.query_one("#device-info", Static))
    finally:
        await writer.quit()


def test_console_spy_command_under_a_pty(
    lab_process: Path, cli: list[str], cli_env: dict[str, str]
) -> None:
    """`lautre-tui console eva --spy` watches a writer's session live; its keys
    go nowhere; Ctrl-] . leaves."""
    from lautre_tui.services.console import target_for

    layout = load_layout(lab_process / "layout.yaml").layout
    assert layout is not None
    url = target_for(layout, "eva").url
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.console_peer", "eva", url, "admin1", "writer"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=cli_env,
    )
    main, child = pty.openpty()
    spy: subprocess.Popen[bytes] | None = None
    try:
        assert writer.stdin is not None and writer.stdout is not None
        assert writer.stdout.readline().strip() == "attached writer"
        fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
        spy = subprocess.Popen(
            [*cli, "console", "eva", "--spy", "--layout", str(lab_process / "layout.yaml")],
            stdin=child,
            stdout=child,
            stderr=child,
            env=dict(cli_env, TERM="xterm-256color"),
            start_new_session=True,
        )
        seen = bytearray()

        def read_until(text: bytes) -> None:
            deadline = time.monotonic() + WAIT
            while text not in seen and time.monotonic() < deadline:
                if select.select([main], [], [], 0.1)[0]:
                    seen.extend(os.read(main, 65536))
            assert text in seen, bytes(seen[-500:])

        read_until(b"spy (read-only)")
        os.write(main, b"spy-typed\r")  # goes nowhere
        writer.stdin.write("send \n")
        writer.stdin.flush()
        assert writer.stdout.readline().strip() == "sent"
        read_until(b"eva login:")
        os.write(main, b"\x1d")
        read_until(b"Console menu")
        os.write(main, b".")
        assert spy.wait(WAIT) == 0
        writer.stdin.write("wait eva login: \n")
        writer.stdin.flush()
        assert writer.stdout.readline().strip() == "seen"
    finally:
        os.close(main)
        os.close(child)
        if spy is not None and spy.poll() is None:
            spy.kill()
        writer.kill()
        writer.wait()
    log = (Path(cli_env["XDG_STATE_HOME"]) / "lautre-tui" / "consoles" / "eva.log").read_bytes()
    assert b"spy-typed" not in log and b"eva login:" in log
