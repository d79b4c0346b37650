"""Named break sequences of a console server (`consoles.NAME.breaks`, as conserver's
`break`): read from the layout, offered in the escape menu, confirmed when asked,
sent to the lab's serial device through the port, audited."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from textual.widgets import Static

from lautre_tui.lab.runner import Lab
from lautre_tui.model.breaks import BreakSequence, LineBreak, Pause, parse_sequence
from lautre_tui.model.loader import load_layout
from lautre_tui.services.console import ConsoleLinkError, ConsoleSession, transcript_path
from lautre_tui.ui.console_app import ConsoleApp
from tests.app_helpers import burst
from tests.conftest import LAUTRE_LAYOUT
from tests.lab_helpers import eventually
from tests.test_console import target
from tests.test_console_sysrq import menu, opened

SERVER = "    port_offset: 7000\n"


def with_breaks(tmp_path: Path, breaks: str) -> Path:
    """The lautre layout with `breaks` (YAML lines) under its console server."""
    text = LAUTRE_LAYOUT.read_text()
    assert text.count(SERVER) == 1
    path = tmp_path / "layout.yaml"
    path.write_text(text.replace(SERVER, SERVER + "    breaks:\n" + breaks))
    return path


def sequence(name: str, text: str, *, confirm: bool = False, delay: float = 0.25) -> BreakSequence:
    return BreakSequence(name, text, confirm, int(delay * 1000), steps=parse_sequence(text, delay))


def test_conserver_strings_become_bytes_breaks_and_pauses() -> None:
    assert parse_sequence(r"\r~^b") == (b"\r~\x02",)
    assert parse_sequence(r"\z\d#.", 0.6) == (LineBreak(), Pause(0.6), b"#.")
    assert parse_sequence(r"a\033\\\^^?\"") == (b'a\x1b\\^\x7f"',)
    for wrong, said in [
        (r"\q", "unknown escape \\q"),
        ("abc^", "a ^ ends the sequence"),
        ("^1", "^1 is not a control character"),
        (r"\400", "more than a byte"),
        ("ab\\", "a \\ ends the sequence"),
    ]:
        with pytest.raises(ValueError, match=said.replace("\\", "\\\\").replace("^", "\\^")):
            parse_sequence(wrong)


def test_the_layout_names_break_sequences_and_points_at_mistakes(tmp_path: Path) -> None:
    path = with_breaks(
        tmp_path,
        "      - name: sun-alt\n"
        "        sequence: '\\r~^b'\n"
        "      - {name: halt, sequence: '\\z\\d\\z', delay: 600, confirm: true}\n",
    )
    result = load_layout(path)
    assert result.errors == [] and result.layout is not None
    breaks = result.layout.consoles["console"].breaks
    assert [(b.name, b.confirm) for b in breaks] == [("sun-alt", False), ("halt", True)]
    assert breaks[1].steps == (LineBreak(), Pause(0.6), LineBreak())
    path = with_breaks(
        tmp_path,
        "      - {name: a, sequence: '\\q'}\n"
        "      - {name: c, sequence: x}\n"
        "      - {name: c, sequence: y}\n"
        "      - {name: b, sequence: x, confirm: maybe, wait: 3}\n"
        "      - {sequence: x}\n",
    )
    errors = [str(error) for error in load_layout(path).errors]
    line = LAUTRE_LAYOUT.read_text().count("\n", 0, LAUTRE_LAYOUT.read_text().index(SERVER)) + 3
    assert f"{path}:{line}:29: console server console breaks a: unknown escape \\q" in errors[0]
    assert any("'c' is named twice" in error for error in errors)
    assert any("confirm must be true or false" in error for error in errors)
    assert any("unknown key 'wait'" in error for error in errors)
    assert any("missing required key 'name'" in error for error in errors)
    ten = "".join(f"      - {{name: b{n}, sequence: x}}\n" for n in range(10))
    errors = [str(error) for error in load_layout(with_breaks(tmp_path, ten)).errors]
    assert any("at most 9 (menu keys 1-9)" in error for error in errors)


async def test_the_escape_menu_sends_a_sequence_and_one_with_a_delay_after_its_confirm(
    lab: Lab,
) -> None:
    device = lab.console_server.device("elsa")
    breaks = (
        sequence("sun-alt", r"\r~^b"),
        sequence("twice", r"\z\d\z", confirm=True, delay=0.2),
    )
    app = ConsoleApp(dataclasses.replace(target(lab, "elsa"), breaks=breaks))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await opened(app)
        footer = str(screen.query_one("#console-footer", Static).content)
        assert "Ctrl-] 1-2 break sequences" in footer
        await burst(app, "ctrl+right_square_bracket")
        await eventually(lambda: "2  send twice: \\z\\d\\z (asks to confirm)" in menu(screen))
        assert "1  send sun-alt: \\r~^b\n" in menu(screen) + "\n"
        await burst(app, "1")  # no confirm asked: sent at once
        await eventually(lambda: b"\r~\x02" in b"".join(device.received))
        await burst(app, "ctrl+right_square_bracket", "2")
        await eventually(lambda: "twice on elsa: sends \\z\\d\\z." in menu(screen))
        assert "Press 2 again within 3 s" in menu(screen)
        await burst(app, "x")  # anything else cancels
        await eventually(
            lambda: any("break sequence 2 not sent" in n.message for n in app._notifications)
        )
        assert device.breaks == []
        await burst(app, "ctrl+right_square_bracket", "2", "2")
        await eventually(lambda: len(device.breaks) == 2)
        assert device.breaks[1] - device.breaks[0] >= 0.2  # the \d between them
        await eventually(lambda: any("twice sent" in n.message for n in app._notifications))
        await pilot.press("ctrl+right_square_bracket", "full_stop")
        await pilot.pause(0.3)
    assert b"x" not in b"".join(device.received)
    log = transcript_path("elsa").read_bytes()
    assert b"[-- break sequence sun-alt (\\r~^b) sent by " in log
    assert log.count(b"[-- break sequence twice (\\z\\d\\z) sent by ") == 1
    audit = (transcript_path("elsa").parent.parent / "audit.jsonl").read_text()
    assert audit.count('"console-break-sequence"') == 2 and '"name": "twice"' in audit


async def test_on_a_console_where_break_halts_every_sequence_asks_first(lab: Lab) -> None:
    device = lab.console_server.device("elsa")
    console = dataclasses.replace(
        target(lab, "elsa"), break_halts=True, breaks=(sequence("sun-alt", r"\r~^b"),)
    )
    app = ConsoleApp(console)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await opened(app)
        await burst(app, "ctrl+right_square_bracket", "1")
        await eventually(lambda: "drops to OpenBoot's ok prompt" in menu(screen))
        await burst(app, "escape")
        await eventually(
            lambda: any("break sequence 1 not sent" in n.message for n in app._notifications)
        )
        await pilot.press("ctrl+right_square_bracket", "full_stop")
        await pilot.pause(0.3)
    assert b"~" not in b"".join(device.received)


async def test_a_raw_port_refuses_a_sequence_with_a_break_and_sends_none_of_it(lab: Lab) -> None:
    device = lab.console_server.device("elea")
    session = ConsoleSession(target(lab, "elea", raw=True))
    await session.attach()
    try:
        with pytest.raises(ConsoleLinkError, match="plain TCP"):
            await session.send_break_sequence(sequence("alt", r"boot\z"))
    finally:
        await session.detach()
    assert b"boot" not in b"".join(device.received)
