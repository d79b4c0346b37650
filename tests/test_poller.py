"""The poller against the lab: states follow what really happens, faults included."""

from __future__ import annotations

import asyncio
import subprocess
import time
from dataclasses import replace
from pathlib import Path

from lautre_tui.lab.runner import Lab
from lautre_tui.lab.world import Fault, FaultKind
from lautre_tui.model.health import Reachability, StatusUpdate, Verdict
from lautre_tui.model.layout import PollSettings
from lautre_tui.model.probe_format import CheckState
from lautre_tui.services.poller import Poller
from tests.lab_helpers import (
    answers_ssh,
    eventually,
    lab_layout,
    presents_another_key,
    refuses_ssh,
)


def poller_for(lab: Lab, **options: object) -> Poller:
    return Poller(lab_layout(lab), **options)  # type: ignore[arg-type]


async def test_a_round_sees_every_host_as_the_layout_expects(lab: Lab) -> None:
    poller = poller_for(lab)
    updates: list[StatusUpdate] = []
    poller.subscribe(updates.append)
    info = await poller.run_round()
    await poller.stop()
    assert info.hosts == len(poller.devices) == 15  # 12 servers, 2 switches, the console server
    verdicts = {name: poller.health(name).verdict for name in poller.devices}
    for name in ("eva", "emma", "ella", "elea", "elsa", "fey", "ada", "facteur", "console"):
        assert verdicts[name] is Verdict.OK, (name, poller.health(name))
    assert verdicts["estelle"] is Verdict.STANDBY_OFF
    assert poller.health("estelle").message == "standby (off, as expected)"
    assert {verdicts[n] for n in ("eyra", "etna", "defi", "elma", "elga")} == {Verdict.STAGING}
    assert updates[-1].round is info
    assert sum(len(update.hosts) for update in updates) >= 15


async def test_a_failing_check_is_soft_then_hard(lab: Lab) -> None:
    poller = poller_for(lab)
    await poller.run_round()
    lab.world.inject(Fault(FaultKind.SERVICE_DOWN, "elea", "mysql"))
    for round_number in (1, 2):
        await poller.run_round()
        mysql = poller.health("elea").checks[0]
        assert (mysql.current, mysql.state, mysql.fails) == (
            CheckState.CRITICAL,
            CheckState.OK,
            round_number,
        )
        assert poller.health("elea").verdict is Verdict.OK
    await poller.run_round()
    assert poller.health("elea").checks[0].state is CheckState.CRITICAL
    assert poller.health("elea").verdict is Verdict.CRITICAL
    lab.world.clear("elea")
    await poller.run_round()
    assert poller.health("elea").verdict is Verdict.OK
    await poller.stop()


async def test_a_changed_host_key_is_critical_with_its_fingerprint(lab: Lab) -> None:
    lab.world.inject(Fault(FaultKind.HOST_KEY_CHANGED, "ella"))
    await eventually(lambda: presents_another_key(lab, "ella"))
    poller = poller_for(lab)
    await poller.run_round()
    await poller.stop()
    ella = poller.health("ella")
    assert ella.reachability is Reachability.KEY_CHANGED
    assert ella.verdict is Verdict.CRITICAL
    assert ella.fingerprint is not None and ella.fingerprint.startswith("SHA256:")
    assert ella.fingerprint in ella.message


async def test_switched_off_host_goes_down_and_comes_back(lab: Lab) -> None:
    poller = poller_for(lab, soft_fails=2)
    await poller.run_round()
    lab.world.set_outlet("apc", 8, False)  # elea
    await poller.run_round()
    assert poller.health("elea").verdict is Verdict.OK  # one failure is soft
    assert "(1/2)" in poller.health("elea").message
    poller.poll_now("elea")  # a retry now, whatever the back-off
    await poller.run_round({"elea"})
    assert poller.health("elea").verdict is Verdict.DOWN
    poller.set_outlets("apc", {8: False})  # power control read the outlet back
    assert poller.health("elea").verdict is Verdict.POWERED_OFF
    lab.world.set_outlet("apc", 8, True)
    poller.set_outlets("apc", {8: True})
    await eventually(lambda: answers_ssh(lab, "elea"))  # booted
    poller.poll_now("elea")
    await poller.run_round({"elea"})
    await poller.stop()
    assert poller.health("elea").verdict is Verdict.OK


async def test_a_host_behind_a_dead_switch_says_so(lab: Lab) -> None:
    poller = poller_for(lab, soft_fails=1)
    lab.world.inject(Fault(FaultKind.REFUSED, "fey"))
    await eventually(lambda: refuses_ssh(lab, "fey"))
    poller.set_outlets("apc", {2: False})  # facteur's outlet, read off the strip
    await poller.run_round({"fey"})
    await poller.stop()
    fey = poller.health("fey")
    assert fey.verdict is Verdict.BEHIND and fey.message == "unreachable behind facteur"


async def test_a_silent_host_goes_stale_then_down(lab: Lab) -> None:
    quick = replace(lab_layout(lab), poll=PollSettings(interval=0.2, soft_fails=3, timeout=0.5))
    poller = Poller(quick)
    await poller.run_round({"elsa"})
    lab.world.inject(Fault(FaultKind.SLOW, "elsa", delay=30))
    await asyncio.sleep(0.7)  # more than three intervals without an answer
    await poller.run_round({"elsa"})
    await poller.stop()
    elsa = poller.health("elsa")
    assert elsa.verdict is Verdict.STALE
    assert "no answer to the probe" in elsa.message


async def test_the_standby_running_is_a_warning(lab: Lab) -> None:
    lab.world.set_outlet("apc", 5, True)
    await eventually(lambda: answers_ssh(lab, "estelle"))  # booted
    poller = poller_for(lab)
    await poller.run_round({"estelle"})
    await poller.stop()
    estelle = poller.health("estelle")
    assert estelle.verdict is Verdict.STANDBY_RUNNING
    assert estelle.message == "estelle is running: has eva failed over?"
    assert estelle.exit_code == 1


async def test_garbage_is_unknown_with_the_reason(lab: Lab) -> None:
    lab.world.inject(Fault(FaultKind.GARBAGE, "emma"))
    poller = poller_for(lab, soft_fails=1)
    await poller.run_round({"emma"})
    await poller.stop()
    emma = poller.health("emma")
    assert emma.verdict is Verdict.UNKNOWN
    assert "no probe answer" in emma.message


async def test_polling_runs_in_the_background_and_poll_now_wakes_it(lab: Lab) -> None:
    poller = Poller(lab_layout(lab), interval=60)
    rounds: list[StatusUpdate] = []
    poller.subscribe(lambda update: rounds.append(update) if update.round else None)
    poller.start()
    await eventually(lambda: bool(rounds))
    poller.poll_now("emma")
    await eventually(lambda: len(rounds) >= 2)
    await poller.stop()
    assert [r.round.hosts for r in rounds[:2] if r.round] == [15, 1]


def test_status_command_against_the_lab(
    lab_process: Path, cli: list[str], cli_env: dict[str, str]
) -> None:
    layout = str(lab_process / "layout.yaml")
    done = subprocess.run(
        [*cli, "status", "--layout", layout],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "estelle    standby" in done.stdout
    from lautre_tui.lab.control import send

    send(lab_process, "fault service-down fey backups")
    one = subprocess.run(
        [*cli, "status", "--layout", layout, "--host", "fey", "--json"],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=120,
        check=False,
    )
    assert one.returncode == 2
    assert '"state": "critical"' in one.stdout
    worst = subprocess.run(
        [*cli, "status", "--layout", layout, "--sort", "state"],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=120,
        check=False,
    )
    lines = worst.stdout.splitlines()
    assert lines[0].startswith("DEVICE") and lines[1].startswith("fey ")  # the worst first
    bad = subprocess.run(
        [*cli, "status", "--layout", layout, "--host", "nobody"],
        capture_output=True,
        text=True,
        env=cli_env,
        check=False,
    )
    assert bad.returncode == 3 and "unknown host" in bad.stderr


async def test_a_late_answer_never_counts_for_the_next_round(lab: Lab) -> None:
    """The shell of a timed-out round is replaced: its late answer is never read."""
    quick = replace(lab_layout(lab), poll=PollSettings(interval=10, soft_fails=1, timeout=0.5))
    poller = Poller(quick)
    await poller.run_round({"elea"})
    lab.world.inject(Fault(FaultKind.SLOW, "elea", delay=1.0))
    lab.world.inject(Fault(FaultKind.SERVICE_DOWN, "elea", "mysql"))
    await poller.run_round({"elea"})  # times out; its answer (mysql down) comes late
    assert "no answer to the probe" in poller.health("elea").message
    lab.world.clear("elea")
    await asyncio.sleep(1.2)
    await poller.run_round({"elea"})
    await poller.stop()
    elea = poller.health("elea")
    assert elea.verdict is Verdict.OK
    assert [c.state for c in elea.checks] == [CheckState.OK, CheckState.OK]


def test_a_standby_that_is_off_while_its_primary_is_down_is_flagged() -> None:
    from lautre_tui.model.health import Failure, HealthTracker
    from lautre_tui.model.loader import load_layout
    from tests.conftest import LAUTRE_LAYOUT

    layout = load_layout(LAUTRE_LAYOUT).layout
    assert layout is not None
    tracker = HealthTracker(layout, soft_fails=1)
    tracker.observe("estelle", Failure("unreachable", "refused"), time.time())
    assert tracker.hosts["estelle"].verdict is Verdict.STANDBY_OFF
    tracker.observe("eva", Failure("unreachable", "refused"), time.time())
    tracker.rejudge()
    estelle = tracker.hosts["estelle"]
    assert estelle.verdict is Verdict.STANDBY_NEEDED and estelle.exit_code == 1
    assert estelle.message == "estelle is off and eva is down: start the standby"
