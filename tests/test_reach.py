"""Devices without a shell: reach checks against real sockets and the system's ping,
through the poller and `status`, and never a connection to a console's serial port."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from lautre_tui.backends.reach import Answer, ping, tcp
from lautre_tui.lab.management import _Silent
from lautre_tui.lab.runner import Lab
from lautre_tui.lab.world import Fault, FaultKind
from lautre_tui.model.checks import ReachSettings
from lautre_tui.model.health import Reachability, Verdict
from lautre_tui.model.layout import PollSettings
from lautre_tui.model.probe_format import CheckState
from lautre_tui.services.console import ConsoleSession, target_for
from lautre_tui.services.poller import Poller
from tests.app_helpers import a_round_after, go_to
from tests.conftest import LAUTRE_LAYOUT
from tests.lab_helpers import eventually, lab_layout


async def test_tcp_open_closed_and_silent() -> None:
    silent = _Silent(0)  # a full backlog: SYNs are dropped, as for a dead address
    port = silent.sockets[0].getsockname()[1]
    try:
        assert (await tcp("127.0.0.1", port, 0.5)).answer is Answer.SILENT
    finally:
        silent.close()
    closed = await tcp("127.0.0.1", port, 0.5)  # nothing listens there any more
    assert closed.answer is Answer.CLOSED and closed.detail == f"up, port {port} closed"
    assert (await tcp("no..such", 22, 0.5)).answer is Answer.UNUSABLE


async def test_ping_present_and_absent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert (await ping("127.0.0.1", 1)).answer is Answer.OPEN
    monkeypatch.setenv("PATH", str(tmp_path))  # no ping anywhere
    missing = await ping("127.0.0.1", 1)
    assert missing.answer is Answer.UNUSABLE and missing.detail == "ping is not installed"


async def test_reach_states_through_the_poller(
    lab: Lab, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    layout = replace(lab_layout(lab), poll=PollSettings(interval=10, soft_fails=1, timeout=1))
    poller = Poller(layout, hosts=["ada", "facteur", "console"])
    await poller.run_round()
    assert {n: poller.health(n).verdict for n in ("ada", "facteur", "console")} == {
        "ada": Verdict.OK,
        "facteur": Verdict.OK,
        "console": Verdict.OK,
    }
    lab.world.inject(Fault(FaultKind.REFUSED, "ada"))  # the address answers, the port does not
    lab.world.inject(Fault(FaultKind.BLACKHOLE, "console"))  # nothing answers at all
    await eventually(lambda: lab.management.ports["console"][0].mode == "silent")
    await eventually(lambda: lab.management.ports["ada"][0].mode == "closed")
    await poller.run_round()
    ada, console = poller.health("ada"), poller.health("console")
    assert ada.reachability is Reachability.UP and ada.verdict is Verdict.WARNING
    assert ada.checks[0].state is CheckState.WARNING and "closed" in ada.checks[0].output
    assert console.verdict is Verdict.DOWN and "no answer" in console.message
    await poller.stop()

    pinged = replace(layout.devices["facteur"], reach=ReachSettings(host="127.0.0.1", ping=True))
    layout = replace(layout, devices={**layout.devices, "facteur": pinged})
    poller = Poller(layout, hosts=["facteur"])
    await poller.run_round()
    assert poller.health("facteur").verdict is Verdict.OK
    monkeypatch.setenv("PATH", str(tmp_path))
    await poller.stop()
    poller = Poller(layout, hosts=["facteur"])
    await poller.run_round()
    facteur = poller.health("facteur")
    assert facteur.verdict is Verdict.UNKNOWN and "ping is not installed" in facteur.message
    await poller.stop()


async def test_status_never_touches_a_consoles_serial_port(lab: Lab) -> None:
    held = ConsoleSession(target_for(lab_layout(lab), "eva"))
    await held.attach()  # an admin is on eva's console
    before = {name: port.connections for name, port in lab.console_server.ports.items()}
    poller = Poller(lab_layout(lab))
    await poller.run_round()
    await poller.stop()
    await held.detach()
    after = {name: port.connections for name, port in lab.console_server.ports.items()}
    assert after == before
    assert poller.health("console").verdict is Verdict.OK  # its management port answered


def status_json(cli: list[str], env: dict[str, str], layout: Path) -> list[dict[str, object]]:
    done = subprocess.run(
        [*cli, "status", "--json", "--layout", str(layout)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr
    data: list[dict[str, object]] = json.loads(done.stdout)
    return data


def test_status_json_has_every_device_of_the_lab_and_how_it_was_measured(
    lab_process: Path, cli: list[str], cli_env: dict[str, str]
) -> None:
    data = status_json(cli, cli_env, lab_process / "layout.yaml")
    assert len(data) == 17
    measured = {str(d["device"]): d["measured"] for d in data}
    assert measured["ada"] == measured["facteur"] == measured["console"] == "reach"
    assert measured["apc"] == "pdu" and measured["eva"] == "ssh"
    assert measured["defi-bay"] == "none"
    states = {str(d["device"]): d["state"] for d in data}
    assert states["apc"] == "ok" and states["ada"] == "ok" and states["defi-bay"] == "staging"


def test_status_json_has_every_device_of_the_shipped_layout(
    cli: list[str], cli_env: dict[str, str], tmp_path: Path
) -> None:
    """None of L'Autre Net's names resolve here: every device is still there, said."""
    layout = tmp_path / "lautre.yaml"
    text = LAUTRE_LAYOUT.read_text().replace("timeout: 10s", "timeout: 1s")
    layout.write_text(text)
    env = dict(cli_env, PATH=os.environ["PATH"])
    data = status_json(cli, env, layout)
    assert [d["device"] for d in data] == [
        "ada", "facteur", "console", "eva", "estelle", "emma", "ella", "elea", "elsa", "fey",
        "eyra", "etna", "defi", "defi-bay", "elma", "elga", "apc",
    ]  # fmt: skip
    assert all(d["state"] and d["measured"] in ("ssh", "reach", "pdu", "none") for d in data)


async def test_the_strip_and_console_server_panes_in_the_app(lab: Lab) -> None:
    from textual.widgets import Static

    from lautre_tui.cli.tui import build_app
    from tests.test_ui_rack import _plain

    held = ConsoleSession(target_for(lab_layout(lab), "elea"))
    await held.attach()
    app = build_app(lab_layout(lab), lab.layout_path, interval=60)
    async with app.run_test(size=(160, 48)) as pilot:
        await a_round_after(app)
        rack = go_to(app, "apc")
        await pilot.pause()
        pane = _plain(app.query_one("#device-info", Static))
        assert "strip apc" in pane and "the card answers" in pane and "A of 16 A" in pane
        assert "elea" in pane  # the outlet that feeds it, by the card's name and the layout
        rack.select("console")
        await pilot.pause()
        pane = _plain(app.query_one("#device-info", Static))
        assert "Ports (as this bastion knows them)" in pane
        assert "open by " in pane and "free" in pane
    await held.detach()
