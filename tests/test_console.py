"""Serial consoles against the lab's RFC 2217 and raw TCP ports, and the widget."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import pyte
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.color import Color
from serial import rfc2217
from textual.app import App, ComposeResult
from textual.widgets import Static

from lautre_tui.backends.telnet import TelnetFilter
from lautre_tui.backends.tolerant_rfc2217 import with_ign_set_control
from lautre_tui.lab.runner import Lab
from lautre_tui.lab.world import Fault, FaultKind
from lautre_tui.model.layout import ConsoleProtocol
from lautre_tui.services.console import (
    BreakUnsupported,
    ConsoleLinkError,
    ConsoleManager,
    ConsoleSession,
    ConsoleTarget,
    holder,
    target_for,
    transcript_path,
)
from lautre_tui.ui.console_app import ConsoleApp
from lautre_tui.ui.console_dialogs import QuitWithConsoles
from lautre_tui.ui.console_screen import ConsoleScreen
from lautre_tui.ui.keys import key_bytes
from lautre_tui.ui.terminal import ScrollbackScreen, TerminalView
from tests.app_helpers import burst, go_to
from tests.conftest import REPO, lautre
from tests.console_helpers import Screen, under_pty
from tests.lab_helpers import WAIT, eventually, lab_layout

# -- pure parts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "character", "expected"),
    [
        ("a", "a", b"a"),
        ("A", "A", b"A"),
        ("é", "é", "é".encode()),
        ("enter", "\r", b"\r"),
        ("backspace", None, b"\x7f"),
        ("tab", "\t", b"\t"),
        ("escape", None, b"\x1b"),
        ("up", None, b"\x1b[A"),
        ("left", None, b"\x1b[D"),
        ("home", None, b"\x1b[H"),
        ("end", None, b"\x1b[F"),
        ("pageup", None, b"\x1b[5~"),
        ("delete", None, b"\x1b[3~"),
        ("insert", None, b"\x1b[2~"),
        ("f1", None, b"\x1bOP"),
        ("f5", None, b"\x1b[15~"),
        ("f12", None, b"\x1b[24~"),
        ("ctrl+a", None, b"\x01"),
        ("ctrl+c", None, b"\x03"),
        ("ctrl+d", None, b"\x04"),
        ("ctrl+z", None, b"\x1a"),
        ("alt+x", None, b"\x1bx"),
        ("shift+tab", None, b"\x1b[Z"),
        ("ctrl+space", None, b"\x00"),
    ],
)
def test_key_table(key: str, character: str | None, expected: bytes) -> None:
    assert key_bytes(key, character) == expected


def test_telnet_filter_unescapes_and_refuses_options() -> None:
    telnet = TelnetFilter()
    data, reply = telnet.feed(b"a\xff\xffb\xff\xfb\x01c\xff\xfa\x2c\x01\xff\xf0d\xff")
    assert data == b"a\xffbcd" and reply == b"\xff\xfe\x01"
    assert telnet.feed(b"\xffe") == (b"\xffe", b"")


def test_the_target_carries_break_halts_from_the_layout() -> None:
    layout = lautre()
    assert target_for(layout, "eyra").break_halts is True
    assert target_for(layout, "etna").break_halts is True
    assert target_for(layout, "eva").break_halts is False
    with pytest.raises(ConsoleLinkError, match="option 'timout' is not one of"):
        target_for(layout, "eva", url="rfc2217://127.0.0.1:7001?timout=2")


def test_ign_set_control_is_added_to_rfc2217_urls_only() -> None:
    assert with_ign_set_control("rfc2217://h:7001") == "rfc2217://h:7001?ign_set_control"
    assert (
        with_ign_set_control("rfc2217://h:7001?timeout=5")
        == "rfc2217://h:7001?timeout=5&ign_set_control"
    )
    kept = "rfc2217://h:7001?ign_set_control&timeout=5"
    assert with_ign_set_control(kept) == kept
    assert with_ign_set_control("socket://h:7001") == "socket://h:7001"


class TerminalApp(App[None]):
    def compose(self) -> ComposeResult:
        yield TerminalView()


async def test_colours_cursor_and_scrollback_are_rendered() -> None:
    app = TerminalApp()
    async with app.run_test(size=(40, 6)) as pilot:
        view = app.query_one(TerminalView)
        view.feed(b"plain \x1b[1;31mbold red\x1b[0m \x1b[44mblue bg\x1b[0m\r\n\x1b(0lqk\x1b(B")
        view.flush_now()
        await pilot.pause()
        first = view.render_line(0)
        styles = {segment.text.strip(): segment.style for segment in first if segment.text.strip()}
        red = styles["bold red"]
        assert red is not None and red.bold and red.color == Color.parse("red")
        blue = styles["blue bg"]
        assert blue is not None and blue.bgcolor == Color.parse("blue")
        assert view.render_line(1).text.startswith("┌─┐")  # line drawing characters
        cursor = [s for s in view.render_line(1) if s.style and s.style.reverse]
        assert cursor and view.screen_buffer.cursor.x == 3
        view.feed(b"".join(b"line %d\r\n" % n for n in range(30)))
        view.flush_now()
        assert "line 29" in view.text() and "line 0" not in view.text()
        await pilot.press("shift+pageup")
        assert view.scroll_back > 0
        assert any("line" in view.render_line(y).text for y in range(6))
        await pilot.press("shift+pagedown")
        assert view.scroll_back == 0


# -- sessions against the lab ------------------------------------------------------------


def target(lab: Lab, host: str, *, raw: bool = False) -> ConsoleTarget:
    if raw:
        return ConsoleTarget(host, lab.console_server.raw_url(host), 9600, ConsoleProtocol.RAW)
    return target_for(lab_layout(lab), host)


async def test_login_typing_ctrl_c_break_sysrq_and_baud_over_rfc2217(lab: Lab) -> None:
    session = ConsoleSession(target(lab, "elea"))
    seen = Screen(session)
    await session.attach()
    assert session.send(b"\r")
    await seen.wait_for(b"elea login: ")
    session.send(b"root\r")
    await seen.wait_for(b"Password: ")
    session.send(b"s3cret-pw\r")
    await seen.wait_for(b"root@elea:~# ")
    session.send(b"sleep 100")
    session.send(b"\x03")  # Ctrl-C reaches the host
    await seen.wait_for(b"^C")
    session.send(b"hostname\r")
    await seen.wait_for(b"\r\nelea\r\n")
    await session.send_break()
    session.send(b"h")
    await seen.wait_for(b"SysRq : HELP")
    await session.set_baud(115200)
    await eventually(lambda: lab.console_server.device("elea").line_baud == 115200)
    await session.detach()
    log = transcript_path("elea").read_bytes()
    assert b"[-- attached by " in log and b"[-- BREAK sent by " in log
    assert b"[-- baud rate set to 115200 by " in log and b"[-- detached by " in log
    assert b"elea login: root" in log
    assert b"s3cret-pw" not in log  # the device does not echo it, and typing is not logged
    assert holder("elea") is None  # the claim went with the session


async def test_opening_closing_reconnecting_or_losing_never_sends_a_break(lab: Lab) -> None:
    """On a SPARC console a stray BREAK halts Solaris: only the admin's command sends one."""
    device = lab.console_server.device("eyra")
    for _round in range(2):  # open and close, twice
        session = ConsoleSession(target(lab, "eyra"))
        seen = Screen(session)
        await session.attach()
        session.send(b"\r")
        await seen.wait_for(b"eyra login: ")
        await session.detach()
    session = ConsoleSession(target(lab, "eyra"))
    seen = Screen(session)
    await session.attach()
    await session.reconnect()  # the menu's `r`
    await seen.wait_for(b"[-- reconnected at ")
    lab.world.inject(Fault(FaultKind.DROP_MID_COMMAND, "console:eyra"))  # the line is lost
    await seen.wait_for(b"lost")
    lab.world.clear()
    await eventually(lambda: seen.data.count(b"[-- reconnected at ") == 2)
    session.send(b"\r")
    await eventually(lambda: seen.data.count(b"eyra login: ") >= 1)
    assert device.breaks == []
    await session.send_break()
    await eventually(lambda: len(device.breaks) == 1)
    session.send(b"h")  # and the BREAK was whole: the next key is a SysRq command
    await seen.wait_for(b"SysRq : HELP")
    await session.detach()
    assert len(device.breaks) == 1


async def test_a_server_that_leaves_purges_and_settings_unanswered_is_tolerated(
    lab: Lab,
) -> None:
    lab.console_server.unanswered.update(
        {
            rfc2217.SERVER_PURGE_DATA,  # newer ser2net
            rfc2217.SERVER_SET_BAUDRATE,
            rfc2217.SERVER_SET_DATASIZE,
            rfc2217.SERVER_SET_PARITY,
            rfc2217.SERVER_SET_STOPSIZE,
            rfc2217.SERVER_SET_CONTROL,  # Debian's ser2net 4
        }
    )
    url = lab.console_server.rfc2217_url("elsa") + "?timeout=0.5"
    session = ConsoleSession(ConsoleTarget("elsa", url, 9600, ConsoleProtocol.RFC2217))
    seen = Screen(session)
    await session.attach()
    assert session.line_baud is None and session.baud_text == "baud set by the server"
    assert b"the console server left unanswered: parameter change" in seen.data
    assert b"purge" in seen.data
    session.send(b"\r")
    await seen.wait_for(b"elsa login: ")
    await session.send_break()
    await eventually(lambda: len(lab.console_server.device("elsa").breaks) == 1)
    await session.detach()


async def test_raw_tcp_cannot_send_a_break_and_says_so(lab: Lab) -> None:
    session = ConsoleSession(target(lab, "emma", raw=True))
    await session.attach()
    with pytest.raises(BreakUnsupported, match="cannot carry a BREAK"):
        await session.send_break()
    await session.detach()


async def test_a_second_open_joins_and_a_held_port_is_busy(lab: Lab) -> None:
    manager = ConsoleManager()
    first = await manager.open(target(lab, "ella"))
    assert await manager.open(target(lab, "ella")) is first
    host, port = lab.console_server.raw_url("fey").removeprefix("socket://").split(":")
    reader, other_admin = await asyncio.open_connection(host, int(port))  # someone else
    try:
        await asyncio.wait_for(reader.readuntil(b"login: "), WAIT)  # holds fey now
        busy = ConsoleSession(target(lab, "fey", raw=True))
        status = Screen(busy)
        await busy.attach()
        await eventually(lambda: busy.state == "busy")
        assert "busy" in status.status[-1] and str(transcript_path("fey")) in status.status[-1]
        await busy.detach()
    finally:
        other_admin.close()
    await manager.close_all()


async def test_reconnects_after_the_console_server_drops(lab: Lab) -> None:
    session = ConsoleSession(target(lab, "eva", raw=True))
    seen = Screen(session)
    await session.attach()
    lab.world.inject(Fault(FaultKind.REFUSED, "console:eva"))
    lab.world.inject(Fault(FaultKind.DROP_MID_COMMAND, "console:eva"))
    await seen.wait_for(b"lost")
    assert session.state == "lost"
    assert b"reconnecting" in seen.data
    lab.world.clear()
    await eventually(lambda: session.state == "attached")
    await seen.wait_for(b"[-- reconnected at ")
    session.send(b"\r")
    await seen.wait_for(b"eva login: ")
    await session.detach()


async def test_the_boot_log_appears_when_power_comes_back(lab: Lab) -> None:
    session = ConsoleSession(target(lab, "etna"))
    seen = Screen(session)
    await session.attach()
    lab.world.set_outlet("apc", 13, False)
    session.event("power cycle by tester")
    lab.world.set_outlet("apc", 13, True)
    await seen.wait_for(b"etna login: ")
    assert b"Linux version 2.6.26" in seen.data
    await session.detach()
    assert b"[-- power cycle by tester --]" in transcript_path("etna").read_bytes()


async def test_read_only_sends_nothing(lab: Lab) -> None:
    session = ConsoleSession(target(lab, "eyra"), read_only=True)
    await session.attach()
    assert session.send(b"root\r") is False
    await asyncio.sleep(0.3)
    assert lab.console_server.device("eyra").received == []
    await session.detach()


# -- the screens -------------------------------------------------------------------------


async def test_escape_menu_keys_with_pilot(lab: Lab) -> None:
    app = ConsoleApp(target(lab, "elsa"))
    async with app.run_test(size=(80, 24)) as pilot:
        await eventually(lambda: isinstance(app.screen, ConsoleScreen))
        screen = app.screen
        assert isinstance(screen, ConsoleScreen)
        await pilot.press("enter")
        await eventually(lambda: "elsa login:" in screen.terminal.text())
        await pilot.press(*"root", "enter", *"x", "enter")
        await pilot.press("q")  # goes to the host, does not quit
        await eventually(lambda: "root@elsa:~# q" in screen.terminal.text())
        await pilot.press("ctrl+c")
        await eventually(lambda: "^C" in screen.terminal.text())
        await pilot.press("ctrl+right_square_bracket")
        assert screen.query_one("#console-menu").display and screen.terminal.mode == "menu"
        await pilot.press("s", "h")  # s then a key: BREAK and that SysRq command
        await eventually(lambda: "SysRq : HELP" in screen.terminal.text())
        assert b"BREAK sent" in transcript_path("elsa").read_bytes()
        assert not screen.query_one("#console-menu").display
        await pilot.press("ctrl+right_square_bracket", "l")
        await pilot.pause()
        assert any(str(transcript_path("elsa")) in n.message for n in app._notifications)
        await pilot.press("ctrl+right_square_bracket", "w")  # no rack here: said, not quit
        await eventually(lambda: any("no rack here" in n.message for n in app._notifications))
        assert app.screen is screen and app.return_code is None
        assert "back to the rack" not in str(screen.query_one("#console-footer").render())
        await pilot.press("ctrl+right_square_bracket", "full_stop")
        await eventually(lambda: app.return_code is not None)  # the detach ends the app
    assert b"[-- detached by " in transcript_path("elsa").read_bytes()


async def test_c_in_the_rack_opens_and_keeps_consoles(lab: Lab) -> None:
    from lautre_tui.cli.tui import build_app

    app = build_app(lab_layout(lab), lab.layout_path, poll=False)
    async with app.run_test(size=(100, 30)) as pilot:
        rack = go_to(app, "eva")
        await pilot.press("c")
        await eventually(lambda: isinstance(app.screen, ConsoleScreen))
        await pilot.press("ctrl+right_square_bracket", "w")  # back to the rack, kept open
        await eventually(lambda: not isinstance(app.screen, ConsoleScreen))
        assert app.site.consoles is not None and "eva" in app.site.consoles.sessions
        title = app.rack_screen.query_one("#title", Static)
        await eventually(lambda: "consoles: eva" in str(title.render()))
        await pilot.press("q")  # a console open: asks first
        await eventually(lambda: isinstance(app.screen, QuitWithConsoles))
        await pilot.press("escape")
        await eventually(lambda: app.screen is app.rack_screen)
        assert app.return_code is None
        app.site._power_event("eva", "power cycle by tester")  # what a cycle writes
        rack.select("emma")
        await pilot.press("c")
        await eventually(
            lambda: isinstance(app.screen, ConsoleScreen) and app.screen.session.host == "emma"
        )
        assert set(app.site.consoles.sessions) == {"eva", "emma"}
        await pilot.press("ctrl+right_square_bracket", "full_stop")
        await eventually(
            lambda: app.site.consoles is not None and "emma" not in app.site.consoles.sessions
        )
        await eventually(lambda: "consoles: eva" in str(title.render()))
        assert "emma" not in str(title.render())
        await pilot.press("q", "y")  # quit, detaching eva
        await eventually(lambda: app.return_code is not None)
    assert b"[-- power cycle by tester --]" in transcript_path("eva").read_bytes()


# -- the command -------------------------------------------------------------------------


def test_console_command_under_a_pty(
    lab_process: Path, cli: list[str], cli_env: dict[str, str]
) -> None:
    directory = lab_process
    broken = directory / "broken.yaml"
    broken.write_text(
        (directory / "layout.yaml")
        .read_text()
        .replace("  emma:\n", "  emma:\n    colour: blue\n", 1)
    )  # an error elsewhere does not matter
    env = dict(cli_env, TERM="xterm-256color")
    started = time.monotonic()
    with under_pty([*cli, "console", "eva", "--layout", str(broken)], env) as console:
        console.expect(b"attached")
        console.write(b"\r")
        console.expect(b"eva login:")
        assert time.monotonic() - started < WAIT
        console.write(b"\x1d")  # Ctrl-]
        console.expect(b"Console menu")
        console.write(b".")
        assert console.process.wait(WAIT) == 0


PIECES = [
    b"abc",
    b"hello world ",
    b"\r\n",
    b"\n",
    b"\r",
    b"\t",
    b"\x08",
    b"x" * 50,
    b"\x1b[31m",
    b"\x1b[1;44m",
    b"\x1b[0m",
    b"\x1b[7m",
    b"\x1b[4h",
    b"\x1b[4l",
    b"\x1b[2J",
    b"\x1b[H",
    b"\x1b[5;10H",
    b"\x1b[K",
    b"\x1b[?7l",
    b"\x1b[?7h",
    b"\x1b[2;5r",
    b"\x1b[r",
    "été ".encode(),
    "漢字".encode(),
    b"\x1bM",
    b"\x1b[3S",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60))
def test_the_fast_draw_renders_exactly_as_pyte(pieces: list[bytes]) -> None:
    """Our ASCII fast path and pyte's own draw leave the same cells and cursor."""
    plain, ours = pyte.Screen(20, 6), ScrollbackScreen(20, 6)
    for screen in (plain, ours):
        stream = pyte.ByteStream(screen)
        for piece in pieces:
            stream.feed(piece)
    assert (ours.cursor.x, ours.cursor.y) == (plain.cursor.x, plain.cursor.y)
    for y in range(6):
        for x in range(20):
            assert ours.buffer[y][x] == plain.buffer[y][x], (x, y)


async def test_a_hung_holder_is_named_and_force_breaks_its_claim(lab: Lab) -> None:
    from lautre_tui.services.console import ConsoleHeld

    alice = hold_console_in_another_process("elga", "alice", "192.0.2.7", "03:12")
    try:
        with pytest.raises(ConsoleHeld, match=r"alice holds elga since 03:12 from 192\.0\.2\.7"):
            await ConsoleSession(target(lab, "elga")).attach()
        taker = ConsoleSession(target(lab, "elga"))
        seen = Screen(taker)
        await taker.attach(force=True)  # alice's process answers nothing: its claim is broken
        assert taker.holding and holder("elga") is not None
        assert taker.send(b"\r")
        await seen.wait_for(b"elga login: ")
        await taker.detach()
        audit = (transcript_path("elga").parent.parent / "audit.jsonl").read_text()
        assert '"console-break-lock"' in audit and '"held_by": "alice"' in audit
    finally:
        alice.kill()  # a holder that dies, however it dies, leaves no claim behind
        alice.wait()
    assert holder("elga") is None


def hold_console_in_another_process(
    host: str, user: str, source: str, since: str
) -> subprocess.Popen[str]:
    """Another admin's process holding `host`'s console claim (as a real session
    would), until it is killed."""
    code = (
        "import sys, time\n"
        "from lautre_tui.services.console import claim_path\n"
        "from lautre_tui.backends.claims import Claim\n"
        f"assert Claim(claim_path({host!r})).claim({user!r}, {source!r}, {since!r}) is None\n"
        "print('held', flush=True)\n"
        "time.sleep(600)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    assert child.stdout is not None and child.stdout.readline() == "held\n"
    return child


async def test_escape_keys_typed_at_speed_do_what_they_say(lab: Lab) -> None:
    app = ConsoleApp(target(lab, "ella"))
    async with app.run_test(size=(80, 24)):
        await eventually(lambda: isinstance(app.screen, ConsoleScreen))
        screen = app.screen
        assert isinstance(screen, ConsoleScreen)
        await eventually(lambda: bool(screen.query(TerminalView)))  # composed
        await burst(app, "enter")
        await eventually(lambda: "ella login:" in screen.terminal.text())
        await burst(app, "ctrl+right_square_bracket", "b", "h")  # one read: BREAK, then h
        await eventually(lambda: "SysRq : HELP" in screen.terminal.text())  # h came after it
        await burst(app, "ctrl+right_square_bracket", "s", "h")  # SysRq h, at speed
        await eventually(lambda: screen.terminal.text().count("SysRq : HELP") == 2)
        await burst(app, "ctrl+right_square_bracket", "j", "k")  # j is no command: closes
        await eventually(lambda: transcript_path("ella").read_bytes().endswith(b"\r\nk"))
        await burst(app, "ctrl+right_square_bracket", "full_stop", "y")  # detach at once
        await eventually(lambda: app.return_code is not None)  # the detach ends the app
    log = transcript_path("ella").read_bytes()
    assert log.count(b"[-- BREAK sent by ") == 2 and b"[-- detached by " in log
    assert log.rstrip().endswith(b"--]")  # nothing typed after the detach reached the host
    assert b"jk" not in log and b"login: b" not in log  # menu keys never reach it


async def test_a_paste_is_data_even_with_a_ctrl_bracket(lab: Lab) -> None:
    from textual import events

    app = ConsoleApp(target(lab, "emma"))
    async with app.run_test(size=(80, 24)) as pilot:
        await eventually(lambda: isinstance(app.screen, ConsoleScreen))
        screen = app.screen
        assert isinstance(screen, ConsoleScreen)
        await eventually(lambda: bool(screen.query(TerminalView)))  # composed
        await burst(app, "enter")
        await eventually(lambda: "emma login:" in screen.terminal.text())
        screen.terminal.post_message(events.Paste("ab\x1d.cd"))
        await pilot.pause(0.3)
        assert screen.terminal.mode == "data" and isinstance(app.screen, ConsoleScreen)
        await eventually(lambda: b"emma login: ab" in transcript_path("emma").read_bytes())
        assert isinstance(app.screen, ConsoleScreen), app._notifications
