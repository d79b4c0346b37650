"""The status poller: one per process, one persistent SSH connection per host.

Rounds start every interval; a host whose previous probe is still running is
skipped, never piled up; a host that failed to connect waits out an
exponential back-off with jitter. Connects share a global concurrency limit.
Each host's round and back-off are `services.polled_host`'s; this module says
when rounds run and publishes what they find.
Nothing one host does can stop the others: any exception while probing it makes
that host UNKNOWN with the reason, and a failure of a whole round is published
as the poller's trouble (the header shows it) before the next round starts.
Results go through the `HealthTracker`, and subscribers get the changed hosts
in batches (at most one batch per `BATCH_SECONDS`), so that 1000 hosts changing
state cost the UI a handful of updates, not 1000.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable, Iterable

from lautre_tui.backends.probe import probe_library
from lautre_tui.backends.ssh import SshConnector
from lautre_tui.model.health import (
    Failure,
    HealthTracker,
    HostHealth,
    Reachability,
    RoundInfo,
    StatusUpdate,
    strip_report,
)
from lautre_tui.model.layout import DeviceKind, Layout
from lautre_tui.services.polled_host import PolledHost, Probing

BATCH_SECONDS = 0.1
BOOT_POLL = 3.0  # seconds between polls of a host whose power just came back
BOOT_TIMEOUT = 180.0  # after which it is judged as any other host


Subscriber = Callable[[StatusUpdate], None]
# A strip's outlets and load in amps, read from its card (the power service's
# session: one per card); raises on a card that does not answer.
# A reading younger than the max age (seconds) may come from another process.
StripReader = Callable[[str, float], Awaitable[tuple[dict[int, bool], float | None]]]


def polled_devices(layout: Layout, only: Iterable[str] | None = None) -> list[str]:
    """Servers are probed over SSH; devices with `reach:` by TCP or ping; strips
    by their card (the power service), the rest not at all."""
    names = [
        d.name
        for d in layout.devices.values()
        if d.kind is DeviceKind.SERVER or (d.reach is not None and layout.strip_of(d) is None)
    ]
    if only is not None:
        wanted = set(only)
        names = [name for name in names if name in wanted]
    return names


class Poller:
    """Polls the layout's servers; `start()` in the app, `run_round()` for the CLI."""

    def __init__(
        self,
        layout: Layout,
        *,
        interval: float | None = None,
        hosts: Iterable[str] | None = None,
        connector: SshConnector | None = None,
        concurrency: int = 50,
        soft_fails: int | None = None,
        strip_reader: StripReader | None = None,
    ) -> None:
        self.layout = layout
        self.interval = interval or layout.poll.interval
        self.tracker = HealthTracker(layout, interval=self.interval, soft_fails=soft_fails)
        self.connector = connector or SshConnector(connect_timeout=layout.poll.timeout)
        probing = Probing(
            layout,
            self.connector,
            asyncio.Semaphore(concurrency),
            probe_library(),
            self.interval,
            random.Random(),
        )
        self._hosts = {name: PolledHost(probing, name) for name in polled_devices(layout, hosts)}
        self._subscribers: list[Subscriber] = []
        self._pending: dict[str, HostHealth] = {}
        self._flush: asyncio.TimerHandle | None = None
        self._wake = asyncio.Event()
        self._only: set[str] | None = None
        self._task: asyncio.Task[None] | None = None
        self.trouble: str | None = None
        self._booting: dict[str, float] = {}  # host -> monotonic deadline of its watch
        self.last_round: RoundInfo | None = None
        self._strip_reader = strip_reader
        wanted = set(hosts) if hosts is not None else None
        self._strips_due: dict[str, float] = {  # strip -> monotonic time of its next read
            pdu.name: 0.0
            for pdu in layout.pdus.values()
            if strip_reader is not None
            and pdu.device in layout.devices
            and (wanted is None or pdu.device in wanted)
        }
        self._strips_forced: set[str] = set()  # asked for now: read the card itself

    @property
    def devices(self) -> list[str]:
        """Every device this poller measures: hosts, reach devices, strips' cards."""
        cards = [self.layout.pdus[name].device for name in self._strips_due]
        return [*self._hosts, *(card for card in cards if card is not None)]

    def health(self, name: str) -> HostHealth:
        return self.tracker.hosts[name]

    # -- publishing -----------------------------------------------------------------

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def publish(self, changed: Iterable[HostHealth], round_info: RoundInfo | None = None) -> None:
        """Queue changed hosts; flush now for a round's end, else within BATCH_SECONDS."""
        for health in changed:
            self._pending[health.device] = health
        if round_info is not None:
            self._deliver(round_info)
        elif self._flush is None and self._pending:
            self._flush = asyncio.get_running_loop().call_later(BATCH_SECONDS, self._deliver)

    def _deliver(self, round_info: RoundInfo | None = None, trouble: str | None = None) -> None:
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        update = StatusUpdate(tuple(self._pending.values()), round_info, trouble)
        self._pending.clear()
        if update.hosts or update.round or trouble is not None:
            for subscriber in self._subscribers:
                subscriber(update)

    def set_outlets(self, pdu: str, states: dict[int, bool]) -> None:
        """Outlet states read from a strip (an action's read-back, a reading, another
        admin's action seen in it): hosts switched off are "powered off" and polled
        now; hosts whose power came back are watched until they answer."""
        known = self.tracker.outlets
        changed = {n for n, on in states.items() if known.get((pdu, n), on) != on}
        self.publish(self.tracker.set_outlets(pdu, states))
        for device in self.layout.devices.values():
            outlets = {link.outlet for link in device.power if link.pdu == pdu} & changed
            if not outlets or device.name not in self._hosts:
                continue
            if any(states[n] for n in outlets):
                self.watch_boot(device.name)
            else:
                self.poll_now(device.name)

    # -- running --------------------------------------------------------------------

    def start(self) -> None:
        """Poll forever in the running loop (the app's), until `stop()`."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._forever())
            self._task.add_done_callback(self._supervise)

    def _supervise(self, task: asyncio.Task[None]) -> None:
        """A poller that died is said in the header and started again."""
        if task.cancelled() or task is not self._task:
            return
        error = task.exception()
        self._task = None
        if error is not None:
            self._set_trouble(f"the poller stopped at {_clock()} ({_describe(error)}); restarted")
        self.start()

    def poll_now(self, name: str | None = None) -> None:
        """Start a round at once: of one host (or strip's card), or all."""
        if name is None:
            self._only = None
        elif not self._wake.is_set() or self._only is not None:
            self._only = (self._only or set()) | {name}  # several asked before the round
        for strip in self._strips_due:
            if name is None or self.layout.pdus[strip].device == name:
                self._strips_due[strip] = 0.0
                self._strips_forced.add(strip)  # asked for now: the card itself
        for host in self._hosts.values():
            if name is None or host.name == name:
                host.next_try, host.backoff = 0.0, 0.0  # asked for: no back-off left
        self._wake.set()

    def watch_boot(self, name: str, timeout: float = BOOT_TIMEOUT) -> None:
        """Power came back to `name`: poll it every few seconds until it answers or
        `timeout` passes, instead of waiting out an interval or a back-off."""
        if name in self._hosts:
            self._booting[name] = time.monotonic() + timeout
            self.tracker.booting[name] = time.time()
            self.poll_now(name)

    def _boot_round(self) -> set[str] | None:
        """The booting hosts still to watch (answered or timed out ones leave)."""
        now = time.monotonic()
        for name, deadline in list(self._booting.items()):
            if deadline < now or self.tracker.hosts[name].reachability is Reachability.UP:
                del self._booting[name]
                self.tracker.booting.pop(name, None)
            else:
                self._hosts[name].next_try = 0.0  # a booting host waits out no back-off
        return set(self._booting) or None

    async def _forever(self) -> None:
        """Round after round; a round that fails is reported and the next one runs.
        Between full rounds, hosts that are booting are polled every BOOT_POLL s."""
        next_full = 0.0
        while True:
            only, self._only = self._only, None
            self._wake.clear()
            started = time.monotonic()
            if only is None and started < next_full:
                only = self._boot_round()  # a boot-watch round, not a full one
            if only is None:
                next_full = started + self.interval
            try:
                await self.run_round(only)
            except Exception as error:
                self._set_trouble(f"a status round failed at {_clock()}: {_describe(error)}")
            else:
                note = self.setup_note()
                if (note or None) != self.trouble:
                    self._set_trouble(note)
            delay = max(0.0, next_full - time.monotonic())
            if self._boot_round() is not None:
                delay = min(delay, BOOT_POLL)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    def setup_note(self) -> str:
        """What our own set-up could not use (known_hosts lines skipped), or ""."""
        problems = self.connector.problems
        if not problems:
            return ""
        more = f" and {len(problems) - 1} more" if len(problems) > 1 else ""
        return f"known_hosts: {problems[0]}{more}"

    def _set_trouble(self, text: str) -> None:
        self.trouble = text or None
        self._deliver(trouble=text)

    async def run_round(self, only: set[str] | None = None) -> RoundInfo:
        """Probe every idle host (or `only` those) once; hosts still busy are skipped."""
        wall, started = time.time(), time.monotonic()
        chosen = [
            host
            for host in self._hosts.values()
            if not host.busy and (only is None or host.name in only)
        ]
        for host in chosen:
            host.busy = True
        now = time.monotonic()
        strips = [name for name, due in self._strips_due.items() if due <= now]
        for name in strips:  # read at most every poll_interval, even when rounds fail
            self._strips_due[name] = now + self.layout.pdus[name].poll_interval
        await asyncio.gather(
            *(self._probe(host) for host in chosen),
            *(self._read_strip(name) for name in strips),
            return_exceptions=True,
        )
        self.publish(self.tracker.rejudge(time.time()))
        info = RoundInfo(wall, time.monotonic() - started, len(chosen))
        self.last_round = info
        self.publish((), info)
        return info

    async def _probe(self, host: PolledHost) -> None:
        try:
            try:
                outcome = await host.outcome()
            except Exception as error:
                host.drop()
                host.back_off()
                outcome = Failure(Reachability.ERROR.value, f"cannot check: {_describe(error)}")
            if outcome is not None:
                self.publish([self.tracker.observe(host.name, outcome, time.time())])
        finally:
            host.busy = False

    async def _read_strip(self, name: str) -> None:
        """A strip's card: its outlets feed "powered off", its load the strip's state."""
        assert self._strip_reader is not None
        pdu = self.layout.pdus[name]
        assert pdu.device is not None
        max_age = 0.0 if name in self._strips_forced else pdu.poll_interval
        self._strips_forced.discard(name)
        try:
            states, amps = await self._strip_reader(name, max_age)
        except Exception as error:
            report = strip_report(pdu, None, _describe(error) if not str(error) else str(error))
        else:
            self.set_outlets(name, states)
            report = strip_report(pdu, amps)
        self.publish([self.tracker.observe(pdu.device, report, time.time())])

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._flush is not None:
            self._flush.cancel()
        for host in self._hosts.values():
            await host.close()


def _describe(error: BaseException) -> str:
    return f"{error.__class__.__name__}: {error}" if str(error) else error.__class__.__name__


def _clock() -> str:
    return time.strftime("%H:%M:%S")
