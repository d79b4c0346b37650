"""One strip, many admins: the card allows one CLI session, and the processes of a
bastion take turns at it instead of being told "already logged in"."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from pathlib import Path

from lautre_tui.lab.runner import Lab
from lautre_tui.lab.world import Fault, FaultKind
from lautre_tui.model.health import Verdict
from lautre_tui.model.layout import PollSettings
from lautre_tui.model.wiring import Pdu
from lautre_tui.services.poller import Poller
from lautre_tui.services.power import PowerService
from tests.lab_helpers import eventually, lab_layout, refuses_ssh


def test_three_power_commands_at_once_all_succeed(
    lab_process: Path, cli: list[str], cli_env: dict[str, str]
) -> None:
    layout = lab_process / "layout.yaml"
    commands = [
        ["elsa", "cycle"],
        ["elsa", "cycle"],
        ["eyra", "off"],
    ]
    running = [
        subprocess.Popen(
            [*cli, "power", *command, "--yes", "--layout", str(layout)],
            env=cli_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    results = [process.communicate(timeout=120) for process in running]
    for process, (out, err) in zip(running, results, strict=True):
        assert process.returncode == 0, (out, err)
        assert "already logged in" not in err
    waits = [err for _out, err in results if "waiting for " in err]
    assert waits, "at least one command waited for another's turn, and said so"
    # the waiter names who holds the card and what for: another command's action, or
    # the outlet read each command makes before it acts (in words, not the card's)
    said = re.compile(r"waiting for \S+: (cycle elsa|off eyra|reading the outlets)")
    assert all(said.search(err) for err in waits), waits


def test_readers_and_an_actor_in_several_processes_never_collide(
    lab_process: Path, cli: list[str], cli_env: dict[str, str]
) -> None:
    layout = str(lab_process / "layout.yaml")
    loop = (
        "for i in 1 2 3 4 5 6; do "
        f"{' '.join(cli)} status --host apc --layout {layout} >/dev/null || exit 1; done"
    )
    readers = [
        subprocess.Popen(["sh", "-c", loop], env=cli_env, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for _ in range(3):
        done = subprocess.run(
            [*cli, "power", "eyra", "cycle", "--yes", "--layout", layout],
            env=cli_env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "already logged in" not in done.stderr
    for reader in readers:
        _out, err = reader.communicate(timeout=120)
        assert reader.returncode == 0, err
        assert "already logged in" not in err


async def test_the_strips_load_follows_its_outlets_and_a_silent_card_is_critical(
    lab: Lab, tmp_path: Path
) -> None:
    layout = lab_layout(lab)
    power = PowerService(layout)
    poller = Poller(layout, hosts=["apc"], strip_reader=power.read_strip, soft_fails=1)

    async def load() -> float:
        poller.poll_now("apc")
        await poller.run_round()
        check = next(c for c in poller.health("apc").checks if c.name == "load")
        return float(check.output.split(" A")[0])

    before = await load()
    for link in layout.devices["fey"].power:  # both its power supplies
        lab.world.set_outlet(link.pdu, link.outlet, False)
    assert await load() < before  # fey's draw is gone
    assert poller.health("fey").verdict is Verdict.POWERED_OFF
    for link in layout.devices["fey"].power:
        lab.world.set_outlet(link.pdu, link.outlet, True)
    assert await load() == before
    lab.world.inject(Fault(FaultKind.BLACKHOLE, "pdu:apc"))
    await eventually(lambda: lab.pdu.listener.mode == "blackhole")
    await power.close()  # a fresh session meets the silent card
    power.driver("apc").timeout = 1.0  # type: ignore[attr-defined]
    poller.poll_now("apc")
    await poller.run_round()
    apc = poller.health("apc")
    assert apc.verdict is Verdict.CRITICAL
    assert "the card does not answer" in apc.checks[0].output
    await poller.stop()
    await power.close()


def test_a_strip_over_its_warning_threshold_warns() -> None:
    from lautre_tui.model.health import strip_report
    from lautre_tui.model.probe_format import CheckState

    strip = Pdu("apc", "apc", "apc-nmc", "apc", 22, "apc", None, 24, rating_amps=16)
    assert strip_report(strip, 10.0).results[1].state is CheckState.OK
    high = strip_report(strip, 13.5).results[1]
    assert high.state is CheckState.WARNING and "84%" in high.output


async def test_switches_are_measured_and_parents_use_measured_states(lab: Lab) -> None:
    layout = replace(lab_layout(lab), poll=PollSettings(interval=10, soft_fails=1, timeout=1))
    poller = Poller(layout)
    await poller.run_round()
    assert poller.health("facteur").verdict is Verdict.OK
    lab.world.inject(Fault(FaultKind.REFUSED, "emma"))  # emma down, facteur answering
    await eventually(lambda: refuses_ssh(lab, "emma"))
    await poller.run_round()
    assert poller.health("emma").verdict is Verdict.DOWN
    facteur = layout.devices["facteur"].power[0]
    lab.world.set_outlet(facteur.pdu, facteur.outlet, False)  # facteur itself down
    await eventually(lambda: lab.management.ports["facteur"][0].mode == "silent")
    await poller.run_round()
    assert poller.health("facteur").verdict is Verdict.DOWN
    emma = poller.health("emma")
    assert emma.verdict is Verdict.BEHIND and emma.message == "unreachable behind facteur"
    await poller.stop()


async def test_a_fresh_reading_is_shared_instead_of_polling_the_card_again(lab: Lab) -> None:
    first, second = PowerService(lab_layout(lab)), PowerService(lab_layout(lab))
    fresh = await first.read_strip("apc", 0.0)
    await first.close()
    logins = lab.pdu.logins
    assert await second.read_strip("apc", 60.0) == fresh  # another admin's reading, 0 s old
    assert lab.pdu.logins == logins
    await second.read_strip("apc", 0.0)  # after an action, or `r`: the card itself
    assert lab.pdu.logins == logins + 1
    await second.close()
