"""Power control against the lab's APC strip over SSH, its impact, dialog and CLI."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Input, Static

from lautre_tui.backends.apc_nmc import ApcNmc, PduBusy, parse_reply
from lautre_tui.backends.pdu import PduCommandError, PduError
from lautre_tui.backends.ssh import SshConnector
from lautre_tui.lab.runner import Lab
from lautre_tui.lab.world import Fault, FaultKind
from lautre_tui.model.impact import PowerAction, power_impact
from lautre_tui.services.audit import AuditLog
from lautre_tui.services.power import PowerRefused, PowerService, read_password_file
from lautre_tui.ui.confirm_power import ConfirmPower
from lautre_tui.ui.rack_view import RackView
from tests.app_helpers import go_to
from tests.conftest import LAUTRE_LAYOUT, lautre
from tests.lab_helpers import answers_ssh, eventually, lab_layout, refuses_ssh


def driver(lab: Lab) -> ApcNmc:
    strip = lab_layout(lab).pdus["apc"]
    return ApcNmc(strip, SshConnector(), read_password_file(strip), timeout=5)


def service(lab: Lab, tmp_path: Path, *, read_only: bool = False) -> PowerService:
    return PowerService(
        lab_layout(lab),
        audit=AuditLog(tmp_path / "audit.jsonl"),
        readback_timeout=5,
        cycle_pause=0.3,
        read_only=read_only,
    )


# -- the driver -----------------------------------------------------------------------


def test_replies_are_parsed_like_fence_apc() -> None:
    reply = parse_reply("E000: Success\r\n 3: elea: On\r\n 4: Outlet 4: Off*\r\n")
    assert reply.code == "E000"
    assert [(o.number, o.name, o.on) for o in reply.outlets.values()] == [
        (3, "elea", True),
        (4, "Outlet 4", False),
    ]
    with pytest.raises(PduCommandError) as error:
        parse_reply("E102: Parameter Error\r\n")
    assert (error.value.code, error.value.text) == ("E102", "Parameter Error")
    with pytest.raises(PduError):
        parse_reply("Welcome!\r\n")


async def test_driver_status_switch_and_errors(lab: Lab) -> None:
    strip = driver(lab)
    states = await strip.status()
    assert len(states) == 24 and states[8].name == "elea" and states[8].on
    assert states[5].on is False  # estelle, cold standby
    await strip.switch([8], False)
    assert (await strip.status([8]))[8].on is False
    assert not lab.world.outlet_on("apc", 8)
    with pytest.raises(PduCommandError) as error:
        await strip.command("olOff 99")
    assert str(error.value) == "E102: Parameter Error"
    await strip.switch([8], True)
    await strip.close()


async def test_commands_are_queued_on_one_session(lab: Lab) -> None:
    strip = driver(lab)
    results = await asyncio.gather(*(strip.status([n]) for n in range(1, 9)))
    assert [list(r) for r in results] == [[n] for n in range(1, 9)]
    await strip.close()


async def test_a_busy_card_is_an_error_then_works(lab: Lab) -> None:
    lab.world.inject(Fault(FaultKind.PDU_BUSY, "pdu:apc"))
    strip = driver(lab)
    with pytest.raises(PduBusy, match="already logged in"):
        await strip.status()
    lab.world.clear("pdu:apc")
    assert (await strip.status([1]))[1].on
    await strip.close()


# -- the service ----------------------------------------------------------------------


async def test_switching_off_takes_the_host_down_and_on_brings_it_back(
    lab: Lab, tmp_path: Path
) -> None:
    power = service(lab, tmp_path)
    seen: list[tuple[str, dict[int, bool]]] = []
    power.on_outlets(lambda pdu, states: seen.append((pdu, states)))
    done = await power.act("elea", PowerAction.OFF, confirmation="test")
    assert done.ok and done.readback == {"apc:8": False}
    await eventually(lambda: refuses_ssh(lab, "elea"))
    assert ("apc", {8: False}) in seen
    done = await power.act("elea", PowerAction.ON, confirmation="test")
    assert done.ok and done.readback == {"apc:8": True}
    await eventually(lambda: answers_ssh(lab, "elea"))
    cycle = await power.act("elea", PowerAction.CYCLE, confirmation="test")
    assert cycle.ok
    await power.close()
    events = [(e["action"], e["result"]) for e in power.audit.read()]
    assert events == [
        ("off", "started"),
        ("off", "ok"),
        ("on", "started"),
        ("on", "ok"),
        ("cycle", "started"),
        ("cycle", "ok"),
    ]
    assert oct(os.stat(tmp_path / "audit.jsonl").st_mode & 0o777) == "0o660"  # group appends


async def test_a_dual_psu_host_stays_up_on_one_outlet(lab: Lab, tmp_path: Path) -> None:
    power = service(lab, tmp_path)
    await power.strip_status("apc")
    impact = power.impact("fey", PowerAction.OFF, outlet=10)
    assert impact.dark == [] and "fey stays up on outlet 11." in impact.lines()[1]
    done = await power.act("fey", PowerAction.OFF, outlet=10, confirmation="test")
    assert done.ok
    assert await answers_ssh(lab, "fey")
    assert power.impact("fey", PowerAction.OFF, outlet=11).dark[:1] == ["fey"]
    await power.close()


async def test_a_dropped_connection_is_an_error_never_a_success(lab: Lab, tmp_path: Path) -> None:
    power = service(lab, tmp_path)
    lab.world.inject(Fault(FaultKind.DROP_MID_COMMAND, "pdu:apc"))
    done = await power.act("elea", PowerAction.OFF, confirmation="test")
    assert not done.ok and "connection lost" in done.message
    assert power.audit.read()[-1]["result"].startswith("error: ")
    lab.world.clear()
    lab.world.inject(Fault(FaultKind.PDU_ERROR, "pdu:apc"))
    failed = await power.act("elea", PowerAction.ON, confirmation="test")
    assert not failed.ok and "E102: Parameter Error" in failed.message
    await power.close()


async def test_read_only_refuses_and_audits(lab: Lab, tmp_path: Path) -> None:
    power = service(lab, tmp_path, read_only=True)
    with pytest.raises(PowerRefused, match="read-only"):
        await power.act("elea", PowerAction.OFF, confirmation="test")
    assert power.audit.read()[-1]["result"] == "refused: read-only mode"
    assert lab.world.outlet_on("apc", 8)


# -- the impact ------------------------------------------------------------------------


def test_impact_of_fey_elea_eva_and_facteur() -> None:
    layout = lautre()
    fey = power_impact(layout, "fey", PowerAction.OFF)
    assert fey.dark == ["fey", "emma", "ella", "elsa"]
    assert any("/var/alternc" in line for line in fey.lines())
    elea = power_impact(layout, "elea", PowerAction.OFF, live={"emma": "ok"})
    assert "MySQL" in "\n".join(elea.lines()) and "emma [ok]" in "\n".join(elea.lines())
    eva = power_impact(layout, "eva", PowerAction.OFF)
    assert eva.protected == ("eva",)
    assert "unless estelle is started" in "\n".join(eva.lines())
    facteur = power_impact(layout, "facteur", PowerAction.OFF)
    text = "\n".join(facteur.lines())
    assert "you will not be able to switch it back on from here" in text
    assert "console server" in text
    assert {"apc", "console", "eva"} <= set(facteur.protected)
    cycle = power_impact(layout, "facteur", PowerAction.CYCLE)
    assert "the strip brings it back by itself" in "\n".join(cycle.lines())
    half = power_impact(
        layout, "defi-bay", PowerAction.OFF, outlet=15, outlet_states={("apc", 16): True}
    )
    assert half.dark == [] and "stays up on outlet 16" in "\n".join(half.lines())
    both = power_impact(
        layout, "defi-bay", PowerAction.OFF, outlet=15, outlet_states={("apc", 16): False}
    )
    assert both.dark == ["defi-bay", "defi"]


# -- the dialog ------------------------------------------------------------------------


async def test_dialog_defaults_to_cancel_and_enter_does_not_switch() -> None:
    from lautre_tui.ui.app import RackApp

    layout = lautre()
    results: list[str | None] = []
    app = RackApp(layout, layout_path=LAUTRE_LAYOUT)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(ConfirmPower(power_impact(layout, "elea", PowerAction.OFF)), results.append)
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "cancel"
        await pilot.press("enter")
        await pilot.pause()
        assert results == [None]
        app.push_screen(ConfirmPower(power_impact(layout, "elea", PowerAction.OFF)), results.append)
        await pilot.pause()
        await tab_to_go(pilot, app)
        await pilot.press("enter")
        await pilot.pause()
        assert results == [None, "dialog button"]
        assert isinstance(app.focused, RackView)


async def test_a_protected_device_needs_its_name_typed() -> None:
    from lautre_tui.ui.app import RackApp

    layout = lautre()
    results: list[str | None] = []
    app = RackApp(layout, layout_path=LAUTRE_LAYOUT)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        dialog = ConfirmPower(power_impact(layout, "facteur", PowerAction.OFF))
        app.push_screen(dialog, results.append)
        await pilot.pause()
        go = dialog.query_one("#go", Button)
        assert go.disabled
        assert app.focused is dialog.query_one("#typed-name", Input)  # the name comes first
        await pilot.press(*"facteu", "enter")
        assert go.disabled and results == []
        await pilot.press("r")
        await pilot.pause()
        assert not go.disabled
        assert "The name matches: Tab to the red button, then Enter" in str(
            dialog.query_one("#hint", Static).render()
        )
        await tab_to_go(pilot, app)
        await pilot.press("enter")
        await pilot.pause()
        assert results == ["typed 'facteur'"]


async def test_power_panel_in_the_app_switches_the_lab(lab: Lab, tmp_path: Path) -> None:
    from lautre_tui.cli.tui import build_app
    from lautre_tui.ui.power_screen import PowerScreen

    app = build_app(lab_layout(lab), lab.layout_path, interval=60)
    async with app.run_test(size=(100, 40)) as pilot:
        go_to(app, "elea")
        await pilot.press("p")
        await eventually(lambda: isinstance(app.screen, PowerScreen))
        await eventually(
            lambda: bool(app.screen.strips) if isinstance(app.screen, PowerScreen) else False
        )
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmPower)
        await tab_to_go(pilot, app)
        await pilot.press("enter")
        await eventually(lambda: not lab.world.outlet_on("apc", 8))
        await eventually(
            lambda: (
                app.site.poller is not None
                and app.site.poller.health("elea").verdict.value == "off"
            )
        )
        entries = app.site.power.audit.read() if app.site.power else []
        assert entries[-1]["result"] == "ok" and entries[-1]["confirmation"] == "dialog button"


async def test_read_only_app_refuses_power(lab: Lab) -> None:
    from lautre_tui.cli.tui import build_app
    from lautre_tui.ui.power_screen import PowerScreen

    app = build_app(lab_layout(lab), lab.layout_path, interval=60, read_only=True)
    async with app.run_test(size=(100, 40)) as pilot:
        go_to(app, "elea")
        await pilot.press("p")
        await eventually(lambda: isinstance(app.screen, PowerScreen))
        await pilot.press("x")
        await eventually(lambda: any("read-only" in n.message for n in app._notifications))
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmPower)
        assert lab.world.outlet_on("apc", 8)


# -- the command line --------------------------------------------------------------------


def test_power_command_exit_codes(
    tmp_path: Path, lab_process: Path, cli: list[str], cli_env: dict[str, str]
) -> None:
    directory = lab_process
    env = dict(cli_env, LAUTRE_TUI_STATE_DIR=str(tmp_path / "state"))
    layout = str(directory / "layout.yaml")

    def power(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*cli, "power", *args, "--layout", layout],
            capture_output=True,
            text=True,
            env=env,
            stdin=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )

    status = power("fey", "status")
    assert status.returncode == 0
    assert status.stdout.splitlines() == ["fey: apc outlet 10: On", "fey: apc outlet 11: On"]
    no_tty = power("elea", "off")
    assert no_tty.returncode == 2 and "use --yes" in no_tty.stderr
    assert "elea LOSES POWER" in no_tty.stdout
    done = power("elea", "off", "--yes")
    assert done.returncode == 0, done.stderr
    assert "read back apc:8 Off" in done.stdout
    again = power("elea", "on", "--yes")
    assert again.returncode == 0
    refused = power("elea", "off", "--yes", "--read-only")
    assert refused.returncode == 2 and "read-only" in refused.stderr
    wrong = power("elea", "off", "--yes", "--outlet", "3")
    assert wrong.returncode == 1 and "not fed by outlet 3" in wrong.stderr
    from lautre_tui.lab.control import send

    send(directory, "fault pdu-error pdu:apc")
    failed = power("elea", "off", "--yes")
    assert failed.returncode == 1
    audit = [
        json.loads(line) for line in (tmp_path / "state" / "audit.jsonl").read_text().splitlines()
    ]
    results = [(e["action"], e["result"].split(":")[0]) for e in audit]
    assert ("off", "refused") in results and ("off", "ok") in results
    assert results[-1] == ("off", "error")


def test_a_shared_audit_file_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared" / "audit.jsonl"
    monkeypatch.setenv("LAUTRE_TUI_AUDIT_LOG", str(shared))
    AuditLog().record("off", "elea", "refused: test")
    AuditLog().record("on", "elea", "refused: test")
    assert [e["action"] for e in AuditLog(shared).read()] == ["off", "on"]


async def test_a_cycle_whose_off_step_fails_is_an_error(lab: Lab, tmp_path: Path) -> None:
    """A stuck relay: elea's outlet comes straight back on. The cycle must say so,
    not report a success because the outlet ends up On."""
    from lautre_tui.lab.world import PowerEvent, PowerEventKind

    def stuck(event: PowerEvent) -> None:
        if event.device == "elea" and event.kind is PowerEventKind.OFF:
            lab.world.set_outlet("apc", 8, True)

    lab.world.subscribe(stuck)
    power = PowerService(
        lab_layout(lab),
        audit=AuditLog(tmp_path / "audit.jsonl"),
        readback_timeout=0.5,  # the relay stays stuck: any wait ends in the mismatch
        cycle_pause=0.1,
    )
    done = await power.act("elea", PowerAction.CYCLE, confirmation="test")
    await power.close()
    assert not done.ok
    assert "mismatch at the off step: apc:8 not off" in done.message
    last = power.audit.read()[-1]
    assert last["result"].startswith("mismatch at the off step") and last["readback"] == {
        "apc:8": True
    }


async def test_commands_after_an_idle_close_open_a_fresh_session(lab: Lab) -> None:
    strip = ApcNmc(
        lab_layout(lab).pdus["apc"],
        SshConnector(),
        read_password_file(lab_layout(lab).pdus["apc"]),
        timeout=5,
        idle=0.2,
    )
    assert (await strip.status([1]))[1].on
    await asyncio.sleep(0.4)  # the idle close runs
    assert (await strip.status([2]))[2].on  # not refused as busy: the card's session was freed
    await strip.close()


def test_twins_that_count_on_each_other_are_said_to_go_dark_together() -> None:
    lines = power_impact(lautre(), "fey", PowerAction.OFF).lines()
    emma = next(line for line in lines if line.startswith("  emma"))
    assert "(ella carries the rest) (NOT this time: ella goes dark too)" in emma
    assert "Together: emma and ella both go dark, so what they share stops entirely." in lines
    alone = power_impact(lautre(), "emma", PowerAction.OFF).lines()
    assert not any("NOT this time" in line or "Together" in line for line in alone)


async def tab_to_go(pilot: Any, app: Any) -> None:
    """Tab to the dialog's action button as an admin would (the impact's scroll is a
    tab stop when it overflows)."""
    for _ in range(6):
        if app.focused is not None and app.focused.id == "go":
            return
        await pilot.press("tab")
    raise AssertionError(f"the action button never got the focus ({app.focused})")
