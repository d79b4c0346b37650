"""Device states read from Icinga 2 instead of measured: `status_source: icinga2`.

Offers what the app and `status` use of the `Poller` (devices, health(),
subscribe(), start(), poll_now(), stop(), last_round, trouble, set_outlets(),
watch_boot(), setup_note()). On start, and after every lost stream: the event
stream is opened (check results, state changes, acknowledgements, downtimes),
then one GET of the hosts and services (only the attributes needed); the events
that came during the GET are applied after it, in order, so that no change
falls between the read and the stream.
`IcingaObjects` (icinga_state) keeps what Icinga says and maps it to the app's
states; staging and standby keep their meaning.
`/v1/status` is asked every STATUS_EVERY seconds: after MISSED_LIMIT without
an answer every device turns STALE, naming the URL and the time, never an old OK.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from lautre_tui.model.health import HealthTracker, HostHealth, Reachability, RoundInfo, StatusUpdate
from lautre_tui.model.layout import DeviceKind, Layout
from lautre_tui.model.status_source import Icinga2Source
from lautre_tui.services.icinga_state import IcingaObjects
from lautre_tui.services.source import Subscriber

if TYPE_CHECKING:
    from lautre_tui.backends.icinga_api import Event, IcingaApi

STATUS_EVERY = 10.0
BATCH_SECONDS = 0.1  # events are published in batches, as the poller's results
# Hosts judged in one go from the stream: Icinga hands over seconds of results at
# once, and judging a few thousand hosts held the keys for 150 ms; the rest is
# judged at the loop's next turn, after what waits (a key) is answered.
DERIVE_SLICE = 250
MISSED_LIMIT = 3
MAX_BACKOFF = 30.0
EVENTS = (
    "CheckResult",
    "StateChange",
    "AcknowledgementSet",
    "AcknowledgementCleared",
    "DowntimeStarted",
    "DowntimeRemoved",
)


class IcingaSource:
    """The status source backed by an Icinga 2 API (one per process)."""

    def __init__(
        self, layout: Layout, source: Icinga2Source, *, status_every: float = STATUS_EVERY
    ) -> None:
        self.layout = layout
        self.status_every = status_every
        self.source = source
        self.url = source.url
        self.tracker = HealthTracker(layout, soft_fails=1)
        self._api: IcingaApi | None = None
        self.objects = IcingaObjects(layout, source)
        self._others_depend_on = {  # a change of theirs changes the verdict of others
            name for name, device in layout.devices.items() if device.kind is DeviceKind.SWITCH
        } | {device.standby_for for device in layout.devices.values() if device.standby_for}
        self._subscribers: list[Subscriber] = []
        self._dirty: set[str] = set()
        self._flush: asyncio.Handle | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._synced = asyncio.Event()
        self._opened = asyncio.Event()  # the event stream's subscription is accepted
        self._backlog: list[Event] | None = None  # events that came during a full read
        self._rng = random.Random()
        self.last_round: RoundInfo | None = None
        self.trouble: str | None = None
        self.silent_since: float | None = None  # wall time of the first unanswered status
        self._stale = False  # every device turned STALE: the silence is the news
        self._pending: dict[str, HostHealth] = {}

    @property
    def api(self) -> IcingaApi:
        if self._api is None:
            from lautre_tui.backends.icinga_api import IcingaApi  # httpx after the first paint

            self._api = IcingaApi(self.source)
        return self._api

    @property
    def devices(self) -> list[str]:
        return list(self.layout.devices)

    def health(self, name: str) -> HostHealth:
        return self.tracker.hosts[name]

    def handled(self) -> dict[str, str]:
        """Device → "maintenance" (a downtime) or "acknowledged", as Icinga says."""
        return {
            device: "maintenance" if down else "acknowledged"
            for device, (down, _acked) in self.handling().items()
        }

    def handling(self) -> dict[str, tuple[bool, frozenset[str]]]:
        """Device → (in a downtime, the checks acknowledged: "" for the host), as
        Icinga says, for the devices with either (made in Icinga Web or by us)."""
        return self.objects.handling()

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def setup_note(self) -> str:
        return ""

    # -- running --------------------------------------------------------------------

    def start(self) -> None:
        if not self._tasks:
            loop = asyncio.get_running_loop()
            self._tasks = [loop.create_task(self._stream()), loop.create_task(self._watch())]

    async def sync_once(self) -> RoundInfo:
        """One full read of the hosts and services (the CLI's `status`)."""
        await self._resync()
        assert self.last_round is not None
        return self.last_round

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        if self._api is not None:
            await self._api.close()

    def poll_now(self, name: str | None = None) -> None:
        """Ask Icinga to re-check now (`actions/reschedule-check`) the device's host
        and services, or all."""
        if name is not None and name not in self.layout.devices:
            return
        task = asyncio.get_running_loop().create_task(self._reschedule(name))
        task.add_done_callback(self._said)

    def watch_boot(self, name: str) -> None:
        """Power came back: Icinga re-checks it at once (it keeps its own retry interval)."""
        self.poll_now(name)

    def set_outlets(self, pdu: str, states: dict[int, bool]) -> None:
        """Outlets read by the power service: "powered off" is ours to say."""
        self._publish(self.tracker.set_outlets(pdu, states))
        self._deliver()

    async def _reschedule(self, name: str | None) -> None:
        now = time.time()
        for kind in ("Host", "Service"):
            body: dict[str, Any] = {"type": kind, "force": True, "next_check": now}
            if name is not None:
                field = "host.name" if kind == "Host" else "service.host_name"
                body["filter"] = f"{field}==device"
                body["filter_vars"] = {"device": self.source.host_of(name)}
            else:
                body["filter"] = "true"
            await self.api.action("reschedule-check", body)

    def _said(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._set_trouble(str(task.exception()))

    async def _resync(self) -> None:
        started, wall = time.monotonic(), time.time()
        hosts, services = await asyncio.gather(
            self.api.states("hosts"), self.api.states("services")
        )
        self.objects.load(hosts, services)
        del hosts, services  # the decoded answers: only the objects made of them stay
        self._dirty.update(self.objects.hosts)
        self._derive(everything=True)  # every state shown before the read is said done
        self.last_round = RoundInfo(wall, time.monotonic() - started, len(self.objects.hosts))
        self._deliver(self.last_round)
        self._synced.set()

    async def _stream(self) -> None:
        """Resync, then follow the stream; on any failure back off and start over."""
        backoff = 0.0
        while True:
            queue = f"lautre-tui-{uuid.uuid4().hex[:12]}"
            follower = asyncio.create_task(self._follow(queue))
            try:
                await self._read_behind(follower)
                self._set_trouble("")
                backoff = 0.0
                await follower
                raise ConnectionError(f"Icinga 2 at {self.url} closed the event stream")
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if not self._stale:  # "does not answer since 14:02" says more: it stays
                    self._set_trouble(f"{error}; reconnecting")
            finally:
                follower.cancel()
                with contextlib.suppress(BaseException):
                    await follower
            backoff = min(MAX_BACKOFF, max(1.0, backoff * 2))
            await asyncio.sleep(self._rng.uniform(0.5, 1.0) * backoff)

    async def _follow(self, queue: str) -> None:
        """The stream's events: kept aside while the full read runs, absorbed after."""
        async for event in self.api.events(queue, EVENTS, self._opened):
            if self._backlog is not None:
                self._backlog.append(event)
            else:
                self._absorb(event)

    async def _read_behind(self, follower: asyncio.Task[None]) -> None:
        """Once the stream is open, the full read; then what the stream said meanwhile:
        a change between the two would otherwise wait for the next check (minutes)."""
        self._opened.clear()
        self._backlog = []
        try:
            opened = asyncio.create_task(self._opened.wait())
            await asyncio.wait({opened, follower}, return_when=asyncio.FIRST_COMPLETED)
            opened.cancel()
            if follower.done():
                follower.result()  # the stream failed before it opened: the caller says so
                raise ConnectionError(f"Icinga 2 at {self.url} closed the event stream")
            await self._resync()
            for event in self._backlog:
                self._absorb(event)
        finally:
            self._backlog = None

    async def _watch(self) -> None:
        """The stream can be silent for long: ask a cheap question every STATUS_EVERY s;
        after MISSED_LIMIT unanswered, every device is STALE."""
        missed = 0
        while True:
            try:
                await self.api.status()
            except asyncio.CancelledError:
                raise
            except Exception:
                missed += 1
                if self.silent_since is None:
                    self.silent_since = time.time()
                if missed >= MISSED_LIMIT:
                    self._all_stale()
            else:
                if missed >= MISSED_LIMIT:
                    self._dirty.update(self.objects.hosts)
                    self._derive(everything=True)
                missed, self.silent_since, self._stale = 0, None, False
            await asyncio.sleep(self.status_every)

    def _all_stale(self) -> None:
        since = time.strftime("%H:%M", time.localtime(self.silent_since or time.time()))
        message = f"Icinga 2 at {self.url} does not answer since {since}"
        changed = []
        for name, health in self.tracker.hosts.items():
            stale = replace(health, reachability=Reachability.STALE, message=message)
            self.tracker.hosts[name] = stale
            changed.append(name)
        self._publish(self.tracker.rejudge())
        self._publish(self.tracker.hosts[name] for name in changed)
        self._deliver()
        self._stale = True
        self._set_trouble(message)

    # -- events ---------------------------------------------------------------------

    def _absorb(self, event: Event) -> None:
        host = self.objects.absorb(event)
        if host is None:
            return
        self._dirty.add(host)
        if self._flush is None:
            self._flush = asyncio.get_running_loop().call_later(BATCH_SECONDS, self._derive)

    # -- judging --------------------------------------------------------------------

    def _derive(self, everything: bool = False) -> None:
        """The dirty hosts' health from Icinga's objects, judged by the tracker
        (staging, standby, power, behind a switch); every host is judged again only
        when one that others depend on (a switch, a standby's twin) changed. Only
        what changed is published, one slice of hosts at a time unless `everything`."""
        if self._flush is not None:
            self._flush.cancel()  # a slice still waiting: judged now
        self._flush = None
        tracker, changed, again = self.tracker, [], False
        count = len(self._dirty) if everything else min(DERIVE_SLICE, len(self._dirty))
        for icinga_name in [self._dirty.pop() for _ in range(count)]:
            device = self.objects.devices.get(icinga_name)
            if device is not None and icinga_name in self.objects.hosts:
                before = tracker.hosts[device]
                after = tracker.judge(self.objects.health(before, icinga_name))
                if after != before:
                    changed.append(device)
                    again = again or device in self._others_depend_on
        if again:
            self._publish(tracker.rejudge())
        self._publish(tracker.hosts[device] for device in changed)
        self._deliver()
        if self._dirty and self._flush is None:
            self._flush = asyncio.get_running_loop().call_soon(self._derive)

    # -- publishing -----------------------------------------------------------------

    def _publish(self, changed: Iterable[HostHealth]) -> None:
        self._pending.update({health.device: health for health in changed})

    def _deliver(self, round_info: RoundInfo | None = None) -> None:
        update = StatusUpdate(tuple(self._pending.values()), round_info, None)
        self._pending = {}
        if update.hosts or update.round:
            for subscriber in self._subscribers:
                subscriber(update)

    def _set_trouble(self, text: str) -> None:
        if (text or None) == self.trouble:
            return
        self.trouble = text or None
        update = StatusUpdate((), None, text)
        for subscriber in self._subscribers:
            subscriber(update)
