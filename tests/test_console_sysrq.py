"""SysRq commands that lose data or the host ask for their key twice; Enter and
Backspace as each console wants them (the layout's newline and backspace)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from textual.widgets import Static

from lautre_tui.lab.runner import Lab
from lautre_tui.model.layout import Backspace, Newline
from lautre_tui.model.loader import load_layout
from lautre_tui.services.console import transcript_path
from lautre_tui.ui import terminal
from lautre_tui.ui.console_app import ConsoleApp
from lautre_tui.ui.console_screen import ConsoleScreen
from lautre_tui.ui.terminal import TerminalView
from tests.app_helpers import burst
from tests.conftest import LAUTRE_LAYOUT
from tests.lab_helpers import eventually
from tests.test_console import target


async def opened(app: ConsoleApp) -> ConsoleScreen:
    await eventually(lambda: isinstance(app.screen, ConsoleScreen))
    screen = app.screen
    assert isinstance(screen, ConsoleScreen)
    await eventually(lambda: bool(screen.query(TerminalView)))  # composed
    return screen


def menu(screen: ConsoleScreen) -> str:
    return str(screen.query_one("#console-menu", Static).content)


async def test_sysrq_b_asks_for_b_again_before_any_break_and_s_goes_at_once(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    device = lab.console_server.device("elsa")
    app = ConsoleApp(target(lab, "elsa"))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await opened(app)
        await burst(app, "enter")
        await eventually(lambda: "elsa login:" in screen.terminal.text())
        await burst(app, "ctrl+right_square_bracket", "s", "b")
        await eventually(lambda: "reboot at once" in menu(screen))
        assert "Press b again within 3 s" in menu(screen)
        assert device.breaks == []  # confirm first: no BREAK yet
        await burst(app, "x")  # anything else cancels: nothing sent
        await eventually(lambda: any("SysRq b not sent" in n.message for n in app._notifications))
        await burst(app, "ctrl+right_square_bracket", "s", "s")  # sync: at once
        await eventually(lambda: "Emergency Sync complete" in screen.terminal.text())
        assert len(device.breaks) == 1
        monkeypatch.setattr(terminal, "CONFIRM_SECONDS", 0.0)  # the second b comes too late
        await burst(app, "ctrl+right_square_bracket", "s", "b", "b")
        await eventually(lambda: any("confirm within 0 s" in n.message for n in app._notifications))
        assert len(device.breaks) == 1
        monkeypatch.setattr(terminal, "CONFIRM_SECONDS", 3.0)
        await burst(app, "ctrl+right_square_bracket", "s", "b", "b")  # confirmed: BREAK and b
        await eventually(lambda: "SysRq : Resetting" in screen.terminal.text())
        assert len(device.breaks) == 2
        await pilot.press("ctrl+right_square_bracket", "full_stop")
        await pilot.pause(0.3)
    log = transcript_path("elsa").read_bytes()
    assert log.count(b", then SysRq s --]") == 1 and log.count(b", then SysRq b --]") == 1
    audit = (transcript_path("elsa").parent.parent / "audit.jsonl").read_text()
    assert audit.count('"console-sysrq"') == 2
    typed = b"".join(device.received)
    assert typed.count(b"x") == 0 and typed.count(b"b") == 1  # the b after the BREAK only


async def test_enter_and_backspace_follow_the_layout_and_the_footer_says_so(lab: Lab) -> None:
    device = lab.console_server.device("emma")
    console = dataclasses.replace(target(lab, "emma"), newline=Newline.CRLF, backspace=Backspace.BS)
    app = ConsoleApp(console)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await opened(app)
        footer = str(screen.query_one("#console-footer", Static).content)
        assert "Enter CRLF · Backspace BS" in footer
        await burst(app, "a", "backspace", "enter")
        await eventually(lambda: b"a\x08\r\n" in b"".join(device.received))
        await pilot.press("ctrl+right_square_bracket", "full_stop")
        await pilot.pause(0.3)


def test_the_layout_names_newline_and_backspace(tmp_path: Path) -> None:
    text = LAUTRE_LAYOUT.read_text()
    first = "      break_halts: true"
    changed = text.replace(first, f"{first}\n      newline: lf\n      backspace: bs", 1)
    path = tmp_path / "layout.yaml"
    path.write_text(changed)
    layout = load_layout(path).layout
    assert layout is not None
    consoles = [d.console for d in layout.devices.values() if d.console is not None]
    assert sum(c.newline is Newline.LF and c.backspace is Backspace.BS for c in consoles) == 1
    assert all(c.newline is Newline.CR for c in consoles if c.backspace is Backspace.DEL)
    path.write_text(changed.replace("newline: lf", "newline: lfcr"))
    result = load_layout(path)
    assert any("newline: unknown value 'lfcr'" in str(error) for error in result.errors)
