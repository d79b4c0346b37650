"""The lab's physics: outlets feed devices as the layout says."""

from __future__ import annotations

import asyncio

from lautre_tui.lab.world import Fault, FaultKind, PowerEvent, PowerEventKind, World
from tests.conftest import lautre


class Clock:
    """A hand-driven clock, so boot timing is tested without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_everything_runs_but_the_cold_standby() -> None:
    world = World(lautre(), boot_seconds=3)
    assert world.device_up("eva")
    assert not world.device_powered("estelle")
    assert not world.outlet_on("apc", 5)
    assert world.device_powered("apc")  # fed from the room, not from an outlet


def test_a_single_psu_device_goes_down_with_its_outlet_and_boots_back() -> None:
    clock = Clock()
    world = World(lautre(), boot_seconds=3, clock=clock)
    events: list[PowerEvent] = []
    world.subscribe(events.append)
    world.set_outlet("apc", 8, False)
    assert not world.device_powered("elea")
    assert not world.device_up("elea")
    assert world.uptime("elea") == 0
    world.set_outlet("apc", 8, True)
    assert world.device_powered("elea")
    assert not world.device_up("elea")  # still booting
    clock.now += 3.5
    assert world.device_up("elea")
    assert world.uptime("elea") == 0.5
    assert [e.kind for e in events if e.device == "elea"][:2] == [
        PowerEventKind.OFF,
        PowerEventKind.BOOTING,
    ]


def test_a_dual_psu_device_stays_up_on_its_other_outlet() -> None:
    world = World(lautre(), boot_seconds=0)
    events: list[PowerEvent] = []
    world.subscribe(events.append)
    world.set_outlet("apc", 10, False)
    assert world.device_up("fey")
    assert events == []
    world.set_outlet("apc", 11, False)
    assert not world.device_powered("fey")
    assert events == [PowerEvent("fey", PowerEventKind.OFF)]


async def test_the_end_of_a_boot_is_announced_on_the_loop() -> None:
    world = World(lautre(), boot_seconds=0.05)
    world.bind_loop(asyncio.get_running_loop())
    up = asyncio.Event()
    world.subscribe(lambda e: up.set() if e == PowerEvent("estelle", PowerEventKind.UP) else None)
    world.set_outlet("apc", 5, True)
    await asyncio.wait_for(up.wait(), 10)
    assert world.device_up("estelle")


def test_faults_are_injected_and_cleared_by_target_and_kind() -> None:
    world = World(lautre())
    world.inject(Fault(FaultKind.SLOW, "emma", delay=1.5))
    world.inject(Fault(FaultKind.SERVICE_DOWN, "emma", detail="web"))
    world.inject(Fault(FaultKind.PDU_BUSY, "pdu:apc"))
    assert world.fault("emma", FaultKind.SLOW) == Fault(FaultKind.SLOW, "emma", delay=1.5)
    world.clear("emma", FaultKind.SLOW)
    assert world.fault("emma", FaultKind.SLOW) is None
    assert [f.kind for f in world.faults_for("emma")] == [FaultKind.SERVICE_DOWN]
    world.clear()
    assert world.faults_for("pdu:apc") == []
