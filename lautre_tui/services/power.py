"""Power control: switch outlets, read them back, audit every attempt.

The service never decides on its own: callers (the dialog, the CLI) show the
impact and get the confirmation first, then call `act` with a word saying how it
was confirmed. Every attempt is audited, refused and failed ones included; an
action is audited before it starts too, so that a crash half-way still leaves a
line, and an action whose first line cannot be written is not taken. After
switching, the outlets are read back until they reach the target or the timeout:
a mismatch is an error, never a silent success.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import stat
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lautre_tui.backends.apc_nmc import ApcNmc
from lautre_tui.backends.pdu import Load, OutletState, PduDriver, PduError
from lautre_tui.backends.ssh import SshConnector
from lautre_tui.backends.strip_turns import StripTurns
from lautre_tui.model.impact import PowerAction, PowerImpact, outlets_of, power_impact
from lautre_tui.model.layout import Layout
from lautre_tui.model.wiring import Pdu
from lautre_tui.services.audit import AuditLog, AuditUnwritable, utc_now
from lautre_tui.services.strip_readings import SharedReadings

__all__ = ["ActionResult", "OutletState", "PduError", "PowerRefused", "PowerService"]

READBACK_POLL = 0.5
OutletListener = Callable[[str, dict[int, bool]], None]
EventListener = Callable[[str, str], None]


class ReadbackMismatch(PduError):
    """A step's outlets did not reach its target: never reported as a success."""

    def __init__(self, step: str, readback: dict[str, bool], target: bool) -> None:
        self.readback = readback
        wrong = [key for key, on in readback.items() if on is not target]
        super().__init__(
            f"mismatch at the {step} step: {', '.join(wrong)} not {'on' if target else 'off'}"
        )


class PowerRefused(Exception):
    """Not done, on purpose: read-only mode, or nothing to switch."""


@dataclass(frozen=True, slots=True)
class ActionResult:
    ok: bool
    message: str
    readback: dict[str, bool] = field(default_factory=dict)  # "apc:8" -> on
    duration: float = 0.0


def read_password_file(pdu: Pdu) -> str | None:
    """The card's password from `password_file` (never from the layout itself);
    None when the layout names no file. A file that is missing, unreadable, not
    UTF-8 or empty is a PduError that names it."""
    if pdu.password_file is None:
        return None
    path = Path(pdu.password_file)
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise PduError(f"{pdu.name}: cannot read password_file {path}: {reason}") from error
    if not secret:
        raise PduError(f"{pdu.name}: password_file {path} is empty")
    return secret


def password_file_warning(pdu: Pdu) -> str | None:
    """A password file other users of the bastion can read deserves a word."""
    if pdu.password_file is None:
        return None
    try:
        mode = Path(pdu.password_file).stat().st_mode
    except OSError:
        return None
    if mode & stat.S_IROTH:
        return (
            f"{pdu.name}: password_file {pdu.password_file} is readable by every user of "
            f"this machine (mode {stat.filemode(mode)}): chmod o-r it"
        )
    return None


class PowerService:
    def __init__(
        self,
        layout: Layout,
        *,
        read_only: bool = False,
        audit: AuditLog | None = None,
        connector: SshConnector | None = None,
        password: Callable[[Pdu], str | None] = read_password_file,
        readback_timeout: float = 20.0,
        cycle_pause: float = 5.0,
    ) -> None:
        self.layout = layout
        self.read_only = read_only
        self.audit = audit or AuditLog()
        self._connector = connector or SshConnector()
        self._password = password
        self.readback_timeout = readback_timeout
        self.cycle_pause = cycle_pause
        self._drivers: dict[str, PduDriver] = {}
        self.outlet_states: dict[tuple[str, int], bool] = {}
        self.last_load: dict[str, Load] = {}
        self.last_outlets: dict[str, dict[int, OutletState]] = {}  # as the card named them
        self._readings = SharedReadings()
        self._outlet_listeners: list[OutletListener] = []
        self._event_listeners: list[EventListener] = []
        self._wait_listeners: list[Callable[[str], None]] = []
        self.last_wait = 0.0  # seconds the last action waited for its turn at the strips

    # -- listeners ------------------------------------------------------------------

    def on_outlets(self, listener: OutletListener) -> None:
        """Called with (strip, {outlet: on}) after every read of a strip."""
        self._outlet_listeners.append(listener)

    def on_event(self, listener: EventListener) -> None:
        """Called with (device, text) for each action, e.g. for console transcripts."""
        self._event_listeners.append(listener)

    # -- reading --------------------------------------------------------------------

    def driver(self, name: str) -> PduDriver:
        if name not in self._drivers:
            pdu = self.layout.pdus[name]
            if pdu.driver != "apc-nmc":
                raise PduError(f"{name}: no driver for {pdu.driver!r}")
            password = self._password(pdu)
            if password is None:
                raise PduError(f"{name}: no password (set password_file for this strip)")
            actor = self.audit.actor
            turns = StripTurns(name, actor.user, actor.source)
            driver = ApcNmc(pdu, self._connector, password, turns=turns)
            driver.on_wait = self._waiting
            self._drivers[name] = driver
        return self._drivers[name]

    def _waiting(self, text: str) -> None:
        for listener in self._wait_listeners:
            listener(text)

    def on_wait(self, listener: Callable[[str], None]) -> None:
        """Called with "waiting for admin2: cycle elsa" while another process of this
        bastion has the strip."""
        self._wait_listeners.append(listener)

    async def strip_status(self, pdu: str) -> dict[int, OutletState]:
        states = await self.driver(pdu).status()
        self._record(pdu, {n: s.on for n, s in states.items()})
        return states

    async def read_strip(
        self, pdu: str, max_age: float = 0.0
    ) -> tuple[dict[int, bool], float | None]:
        """Every outlet and the load (amps) of a strip, in one burst on its card;
        or, when another process of the bastion read it less than `max_age` seconds
        ago, its shared reading: one card poll per interval per bastion."""
        shared = self._readings.load(pdu, max_age) if max_age > 0 else None
        if shared is not None:
            states, load = shared
        else:
            driver = self.driver(pdu)
            async with driver.burst("reading the outlets and load"):
                states = await driver.status()
                load = await driver.load()
            self._readings.store(pdu, states, load, self.audit.actor.user)
        on = {n: s.on for n, s in states.items()}
        self.last_outlets[pdu] = states
        self._record(pdu, on)
        self.last_load[pdu] = load
        return on, load.amps

    def _record(self, pdu: str, states: dict[int, bool]) -> None:
        for outlet, on in states.items():
            self.outlet_states[(pdu, outlet)] = on
        for listener in self._outlet_listeners:
            listener(pdu, states)

    def impact(
        self,
        device: str,
        action: PowerAction,
        *,
        outlet: int | None = None,
        live: Mapping[str, str] | None = None,
    ) -> PowerImpact:
        return power_impact(
            self.layout, device, action, outlet=outlet, outlet_states=self.outlet_states, live=live
        )

    # -- acting ---------------------------------------------------------------------

    def decline(
        self, device: str, action: PowerAction, result: str, *, outlet: int | None = None
    ) -> None:
        """Audit an attempt that stops before acting: `result` such as
        "refused: not confirmed" or "error: cannot read the strip: …"."""
        impact = self.impact(device, action, outlet=outlet)
        self._audit_or_stderr(
            action,
            device,
            result,
            outlets=[f"{pdu}:{n}" for pdu, n in impact.outlets],
            impact=impact.summary(),
            confirmation="none",
        )

    async def act(
        self, device: str, action: PowerAction, *, confirmation: str, outlet: int | None = None
    ) -> ActionResult:
        """Do `action` on the device's outlets (or one of them); audited in all cases."""
        impact = self.impact(device, action, outlet=outlet)
        outlets = [f"{pdu}:{n}" for pdu, n in impact.outlets]
        record = {"outlets": outlets, "impact": impact.summary(), "confirmation": confirmation}
        if self.read_only:
            self._audit_or_stderr(action, device, "refused: read-only mode", **record)
            raise PowerRefused("read-only mode: power actions are refused")
        if not impact.outlets:
            self._audit_or_stderr(action, device, "refused: no outlet", **record)
            raise PowerRefused(
                f"{device} has no outlet"
                + (f" {outlet}" if outlet is not None else "")
                + " in the layout"
            )
        try:  # no record, no action: nothing is switched that the log would not show
            self.audit.record(action.value, device, "started", **record)
        except AuditUnwritable as error:
            return ActionResult(False, f"nothing done: {error}")
        started = time.monotonic()
        try:
            self.last_wait = 0.0
            readback = await self._do(impact)
        except ReadbackMismatch as mismatch:
            duration = round(time.monotonic() - started, 2)
            result = str(mismatch)
            lost = self._finish(
                action, device, result, readback=mismatch.readback, duration=duration, **record
            )
            self._tell(device, action, result)
            return ActionResult(
                False,
                f"read-back: {result} after {self.readback_timeout:.0f} s{lost}",
                mismatch.readback,
                duration,
            )
        except (PduError, OSError) as error:
            duration = round(time.monotonic() - started, 2)
            lost = self._finish(action, device, f"error: {error}", duration=duration, **record)
            return ActionResult(False, f"{error}{lost}", duration=duration)
        except BaseException as error:  # even a crash or a cancel leaves its audit line
            self._finish(action, device, f"error: {error!r}", **record)
            raise
        duration = round(time.monotonic() - started, 2)
        lost = self._finish(action, device, "ok", readback=readback, duration=duration, **record)
        self._tell(device, action, "ok")
        states = ", ".join(f"{key} {'On' if on else 'Off'}" for key, on in readback.items())
        return ActionResult(
            True, f"{action.value} {device}: read back {states}{lost}", readback, duration
        )

    def _finish(self, action: PowerAction, device: str, result: str, **details: Any) -> str:
        """Audit the result of an action already taken; if the log fails now, the
        result goes to stderr and the console transcript instead, and is said."""
        if self.last_wait >= 0.5:  # the audit notes a wait for another admin's burst
            details["waited_s"] = round(self.last_wait, 1)
        lost = self._audit_or_stderr(action, device, result, **details)
        if lost:
            self._tell(device, action, f"{result} (NOT in the audit log: {lost})")
            return f" (WARNING: {lost}; the record went to stderr and the transcript)"
        return ""

    def _audit_or_stderr(
        self, action: PowerAction, device: str, result: str, **details: Any
    ) -> str:
        """ "" once recorded, else why not (and the record is on stderr)."""
        try:
            self.audit.record(action.value, device, result, **details)
        except AuditUnwritable as error:
            line = json.dumps(
                {"action": action.value, "device": device, "result": result, **details},
                default=str,
            )
            print(f"lautre-tui: {error}; the record: {line}", file=sys.stderr)
            return str(error)
        return ""

    def _tell(self, device: str, action: PowerAction, result: str) -> None:
        for listener in self._event_listeners:
            listener(
                device, f"power {action.value} by {self.audit.actor.user} at {utc_now()}: {result}"
            )

    async def _do(self, impact: PowerImpact) -> dict[str, bool]:
        by_strip: dict[str, list[int]] = {}
        for pdu, number in impact.outlets:
            by_strip.setdefault(pdu, []).append(number)
        readback: dict[str, bool] = {}
        async with contextlib.AsyncExitStack() as turns:
            for pdu in sorted(by_strip):  # in one order, so that two processes never deadlock
                driver = self.driver(pdu)
                await turns.enter_async_context(
                    driver.burst(f"{impact.action.value} {impact.device}")
                )
                self.last_wait += driver.waited
            await self._steps(impact, by_strip, readback)
        return readback

    async def _steps(
        self, impact: PowerImpact, by_strip: dict[str, list[int]], readback: dict[str, bool]
    ) -> None:
        for pdu, numbers in by_strip.items():
            driver = self.driver(pdu)
            if impact.action is PowerAction.CYCLE and impact.lockout:
                # our path to the strip goes dark: let the card do off-wait-on itself
                await driver.reboot(numbers)
                states = await self._step(pdu, numbers, True, "on", patience=60.0)
            elif impact.action is PowerAction.CYCLE:
                await driver.switch(numbers, False)
                await self._step(pdu, numbers, False, "off")
                await asyncio.sleep(self.cycle_pause)
                await driver.switch(numbers, True)
                states = await self._step(pdu, numbers, True, "on")
            else:
                on = impact.action is PowerAction.ON
                await driver.switch(numbers, on)
                states = await self._step(pdu, numbers, on, impact.action.value)
            readback.update({f"{pdu}:{n}": on for n, on in states.items()})

    async def _step(
        self, pdu: str, numbers: list[int], target: bool, step: str, patience: float | None = None
    ) -> dict[int, bool]:
        """Read back one step; raise ReadbackMismatch if it missed its target."""
        states = await self._read_back(pdu, numbers, target, patience)
        if any(states.get(n) is not target for n in numbers):
            raise ReadbackMismatch(step, {f"{pdu}:{n}": on for n, on in states.items()}, target)
        return states

    async def _read_back(
        self, pdu: str, numbers: list[int], target: bool, patience: float | None = None
    ) -> dict[int, bool]:
        """Poll olStatus until every outlet is at `target`, or time runs out."""
        deadline = time.monotonic() + (patience or self.readback_timeout)
        while True:
            try:
                states = {n: s.on for n, s in (await self.driver(pdu).status(numbers)).items()}
            except PduError:
                if patience is None or time.monotonic() > deadline:
                    raise
                states = {}
            if states:
                self._record(pdu, states)
            if states and all(states.get(n) is target for n in numbers):
                return states
            if time.monotonic() > deadline:
                return states or {n: not target for n in numbers}
            await asyncio.sleep(READBACK_POLL)

    async def device_outlets(self, device: str) -> dict[tuple[str, int], bool]:
        """The live state of the device's outlets, read from their strips."""
        result: dict[tuple[str, int], bool] = {}
        for pdu, number in outlets_of(self.layout.devices[device]):
            states = await self.strip_status(pdu)
            if number in states:
                result[(pdu, number)] = states[number].on
        return result

    async def close(self) -> None:
        for driver in self._drivers.values():
            await driver.close()
