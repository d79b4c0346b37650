"""Consoles through Debian's real ser2net (RFC 2217, telnet and raw TCP accepters),
pseudo-terminals from socat, and a small host process behind each."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lautre_tui.model.layout import ConsoleProtocol
from lautre_tui.model.loader import load_layout
from lautre_tui.services.console import (
    BreakUnsupported,
    ConsoleLinkError,
    ConsoleSession,
    ConsoleTarget,
    target_for,
    transcript_path,
)
from tests.console_helpers import Screen, under_pty
from tests.lab_helpers import WAIT, eventually
from tests.ser2net_helpers import Ser2net, running_ser2net, tools_or_skip


@pytest.fixture
def ser2net(tmp_path: Path) -> Iterator[Ser2net]:
    tools_or_skip()
    with running_ser2net(tmp_path / "ser2net") as server:
        yield server


def target(server: Ser2net, accepter: str) -> ConsoleTarget:
    layout = load_layout(server.layout()).layout
    assert layout is not None
    return target_for(layout, server.host_name(accepter))


@pytest.mark.parametrize("accepter", ["rfc2217", "telnet", "raw"])
def test_the_console_command_reaches_the_prompt_through_each_accepter(
    ser2net: Ser2net, accepter: str, cli: list[str], cli_env: dict[str, str]
) -> None:
    """`lautre-tui console` with the layout's plain URL template, under a pty."""
    host = ser2net.host_name(accepter)
    started = time.monotonic()
    with under_pty(
        [*cli, "console", host, "--layout", str(ser2net.layout())],
        dict(cli_env, TERM="xterm-256color"),
    ) as console:
        console.expect(b"attached")
        console.write(b"\r")
        console.expect(f"{host} login:".encode())
        to_prompt = time.monotonic() - started
        console.write(b"\x1db")  # one write, as tmux send-keys or a fast typist: a BREAK
        console.expect(b"cannot carry a BREAK" if accepter == "raw" else b"BREAK sent")
        console.write(b"hello")
        console.expect(b"hello")
        console.write(b"\x1d.")  # one write: detach
        assert console.process.wait(WAIT) == 0
    received = ser2net.received(accepter)
    assert received.endswith(b"hello")  # the host never saw the menu's b, nor its .
    assert b"b" not in received.replace(b"hello", b"") and b"." not in received
    print(f"{accepter}: time to prompt through ser2net {to_prompt:.2f} s")


@pytest.mark.parametrize("accepter", ["rfc2217", "telnet"])
async def test_a_break_through_ser2net_leaves_the_session_working(
    ser2net: Ser2net, accepter: str
) -> None:
    session = ConsoleSession(target(ser2net, accepter))
    seen = Screen(session)
    await session.attach()
    if accepter == "rfc2217":  # ser2net acknowledged the speed: the header shows it
        assert session.line_baud == 9600 and session.baud_text == "9600 baud"
    else:
        assert session.line_baud is None and session.baud_text == "baud set by the server"
    session.send(b"\r")
    await seen.wait_for(b"login: ")
    await session.send_break()  # a pty cannot show a break; the lab's server records them
    session.send(b"after-break")
    await seen.wait_for(b"after-break")
    assert session.state == "attached"
    if accepter == "rfc2217":
        await session.set_baud(19200)
        assert session.line_baud == 19200
        session.send(b"\r")
        await eventually(lambda: seen.data.count(b"login: ") == 2)
    await session.detach()
    assert b"after-break" in ser2net.received(accepter)
    log = transcript_path(session.host).read_bytes()
    assert b"[-- BREAK sent by " in log
    assert b"left unanswered" not in log  # ser2net 4.3 answers all but SET_CONTROL


async def test_raw_tcp_through_ser2net_says_it_cannot_carry_a_break(ser2net: Ser2net) -> None:
    session = ConsoleSession(target(ser2net, "raw"))
    seen = Screen(session)
    await session.attach()
    with pytest.raises(BreakUnsupported, match="cannot carry a BREAK"):
        await session.send_break()
    session.send(b"still-here\r")
    await seen.wait_for(b"still-here")
    await session.detach()


async def test_rfc2217_asked_of_a_telnet_or_raw_port_says_what_the_port_speaks(
    ser2net: Ser2net,
) -> None:
    for url, message in [
        (f"rfc2217://127.0.0.1:{ser2net.ports['telnet']}", "speaks plain telnet, not RFC 2217"),
        (f"rfc2217://127.0.0.1:{ser2net.ports['raw']}?timeout=1", "echoes our RFC 2217 requests"),
    ]:
        session = ConsoleSession(ConsoleTarget("via-ser2net", url, 9600, ConsoleProtocol.RFC2217))
        with pytest.raises(ConsoleLinkError, match=message):
            await session.attach()
