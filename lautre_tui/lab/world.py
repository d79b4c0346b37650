"""The lab's physical world: which outlets are on, which devices have power and
have booted, and which faults are injected.

One `World` is shared by every simulated server of a lab (SSH hosts, console
ports, power strip) so that they agree: switch an outlet off on the strip and the
host's SSH port refuses and its console goes silent; switch it on and the console
shows the boot log and SSH comes back once the boot is over.
"""

from __future__ import annotations

import asyncio
import enum
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from lautre_tui.model.layout import Layout, Lifecycle

DEFAULT_BOOT_SECONDS = 3.0


class FaultKind(str, enum.Enum):
    """What can go wrong, injectable per host, console port or power strip."""

    REFUSED = "refused"  # the port refuses connections
    BLACKHOLE = "blackhole"  # accepts, never answers
    SLOW = "slow"  # answers, late (see Fault.delay)
    AUTH_FAILURE = "auth-failure"  # every key or password refused
    HOST_KEY_CHANGED = "host-key-changed"  # presents another host key
    GARBAGE = "garbage"  # answers with bytes that make no sense
    DROP_MID_COMMAND = "drop-mid-command"  # closes the connection during a command
    SERVICE_DOWN = "service-down"  # a service of the host stops (Fault.detail names it)
    PDU_BUSY = "pdu-busy"  # the strip's only CLI session is taken
    PDU_ERROR = "pdu-error"  # the strip answers commands with an error


@dataclass(frozen=True, slots=True)
class Fault:
    """A fault on `target`: a device name (its SSH host, or with `console:` its
    console port, e.g. `console:eva`) or a strip (`pdu:apc`)."""

    kind: FaultKind
    target: str
    detail: str = ""
    delay: float = 2.0


class PowerEventKind(str, enum.Enum):
    OFF = "off"  # lost its last powered outlet
    BOOTING = "booting"  # got power back: the boot log starts
    UP = "up"  # finished booting: services and SSH answer


@dataclass(frozen=True, slots=True)
class PowerEvent:
    device: str
    kind: PowerEventKind


PowerListener = Callable[[PowerEvent], None]


class World:
    """Outlets, device power and faults; safe to read and change from any thread.

    Listeners are called from the thread that made the change, or from the event
    loop for the end of a boot; they must be quick and thread-safe.
    """

    def __init__(
        self,
        layout: Layout,
        *,
        seed: int | None = None,
        boot_seconds: float = DEFAULT_BOOT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.layout = layout
        self.seed = seed
        self.rng = random.Random(seed)
        self.boot_seconds = boot_seconds
        self._clock = clock
        self._lock = threading.RLock()
        self._outlets: dict[tuple[str, int], bool] = {}
        self._booted_at: dict[str, float] = {}
        self._faults: list[Fault] = []
        self._listeners: list[PowerListener] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        for pdu in layout.pdus.values():
            for outlet in range(1, pdu.outlets + 1):
                self._outlets[(pdu.name, outlet)] = True
        for device in layout.devices.values():
            if device.state is Lifecycle.STANDBY:  # a cold standby starts switched off
                for link in device.power:
                    self._outlets[(link.pdu, link.outlet)] = False
        now = self._clock()
        for name in layout.devices:
            if self.device_powered(name):  # up for days already, as a rack usually is
                self._booted_at[name] = now - self.boot_seconds - self.rng.uniform(2, 400) * 86400

    # -- event loop -----------------------------------------------------------

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """The loop that times boots; without one, boots end at once."""
        self._loop = loop

    def subscribe(self, listener: PowerListener) -> Callable[[], None]:
        """Call `listener` on every power event; returns the unsubscribe function."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _emit(self, event: PowerEvent) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(event)

    # -- power ----------------------------------------------------------------

    def outlet_on(self, pdu: str, outlet: int) -> bool:
        with self._lock:
            return self._outlets[(pdu, outlet)]

    def outlets(self, pdu: str) -> dict[int, bool]:
        with self._lock:
            return {n: on for (strip, n), on in sorted(self._outlets.items()) if strip == pdu}

    def device_powered(self, name: str) -> bool:
        """Powered when any of its outlets is on; a device with no outlet always is."""
        links = self.layout.devices[name].power
        with self._lock:
            return not links or any(self._outlets[(link.pdu, link.outlet)] for link in links)

    def device_up(self, name: str) -> bool:
        """Powered and done booting: its SSH port and services answer."""
        with self._lock:
            booted_at = self._booted_at.get(name)
            return (
                booted_at is not None
                and self.device_powered(name)
                and self._clock() >= booted_at + self.boot_seconds
            )

    def uptime(self, name: str) -> float:
        """Seconds since the device finished booting (0 when down)."""
        with self._lock:
            booted_at = self._booted_at.get(name)
        if booted_at is None or not self.device_up(name):
            return 0.0
        return self._clock() - booted_at - self.boot_seconds

    def set_outlet(self, pdu: str, outlet: int, on: bool) -> None:
        """Switch an outlet; devices that lose or gain power follow at once."""
        events: list[PowerEvent] = []
        with self._lock:
            if (pdu, outlet) not in self._outlets:
                raise KeyError(f"{pdu} has no outlet {outlet}")
            fed = [
                device.name
                for device in self.layout.devices.values()
                if any(link.pdu == pdu and link.outlet == outlet for link in device.power)
            ]
            before = {name: self.device_powered(name) for name in fed}
            self._outlets[(pdu, outlet)] = on
            for name in fed:
                now_powered = self.device_powered(name)
                if before[name] and not now_powered:
                    self._booted_at.pop(name, None)
                    events.append(PowerEvent(name, PowerEventKind.OFF))
                elif not before[name] and now_powered:
                    self._booted_at[name] = self._clock()
                    events.append(PowerEvent(name, PowerEventKind.BOOTING))
        for event in events:
            self._emit(event)
            if event.kind is PowerEventKind.BOOTING:
                self._schedule_boot_end(event.device)

    def reboot(self, name: str) -> None:
        """A warm reboot (SysRq b, `reboot`): down at once, then boots, power untouched."""
        with self._lock:
            if not self.device_powered(name):
                return
            self._booted_at[name] = self._clock()
        self._emit(PowerEvent(name, PowerEventKind.BOOTING))
        self._schedule_boot_end(name)

    def _schedule_boot_end(self, name: str) -> None:
        with self._lock:
            booted_at = self._booted_at.get(name)

        def finish() -> None:
            with self._lock:
                current = self._booted_at.get(name)
            if current == booted_at and self.device_up(name):
                self._emit(PowerEvent(name, PowerEventKind.UP))

        if self._loop is None or self._loop.is_closed():
            finish()
        else:
            self._loop.call_soon_threadsafe(self._loop.call_later, self.boot_seconds, finish)

    # -- faults ---------------------------------------------------------------

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self, target: str | None = None, kind: FaultKind | None = None) -> None:
        """Remove the faults matching `target` and `kind` (None matches all)."""
        with self._lock:
            self._faults = [
                fault
                for fault in self._faults
                if not (
                    (target is None or fault.target == target)
                    and (kind is None or fault.kind is kind)
                )
            ]

    def faults_for(self, target: str) -> list[Fault]:
        with self._lock:
            return [fault for fault in self._faults if fault.target == target]

    def fault(self, target: str, kind: FaultKind) -> Fault | None:
        """The first fault of `kind` on `target`, if any."""
        return next((f for f in self.faults_for(target) if f.kind is kind), None)


class LabComponent(Protocol):
    """One kind of simulated server in the lab (SSH hosts, console server, strip).

    `start` makes it listen on 127.0.0.1 and returns what it adds to the lab's
    layout (e.g. `{"pdus": {...}}` or per-device `ssh` settings), merged by the
    runner; `close` stops it and frees every port and thread.
    """

    async def start(self, world: World, directory: Path) -> dict[str, Any]: ...

    async def close(self) -> None: ...
