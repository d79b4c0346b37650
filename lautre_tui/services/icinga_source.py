"""Device states read from Icinga 2 instead of measured: `status_source: icinga2`.

Offers what the app and `status` use of the `Poller` (devices, health(),
subscribe(), start(), poll_now(), stop(), last_round, trouble, set_outlets(),
watch_boot(), setup_note()). On start, and after every lost stream: one GET of
the hosts and services (only the attributes needed), then the event stream
(check results, state changes, acknowledgements, downtimes) keeps them live.
Icinga's soft/hard states become the checks' current/hard states; a host
Icinga finds unreachable is DOWN and the `HealthTracker` says "behind" its
switch as it does for the poller; staging and standby keep their meaning.
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
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from lautre_tui.model.health import (
    CheckHealth,
    HealthTracker,
    HostHealth,
    Reachability,
    RoundInfo,
    StatusUpdate,
    check_names,
)
from lautre_tui.model.layout import Layout
from lautre_tui.model.probe_format import CheckState
from lautre_tui.model.status_source import Icinga2Source
from lautre_tui.services.source import Subscriber

if TYPE_CHECKING:
    from lautre_tui.backends.icinga_api import IcingaApi

STATUS_EVERY = 10.0
BATCH_SECONDS = 0.1  # events are published in batches, as the poller's results
MISSED_LIMIT = 3
MAX_BACKOFF = 30.0
ATTRS = (
    "state",
    "state_type",
    "last_hard_state",
    "last_check_result",
    "last_check",
    "last_hard_state_change",
    "check_attempt",
    "handled",
    "acknowledgement",
    "downtime_depth",
    "last_reachable",
)
HOST_ATTRS = ("name", *ATTRS)
SERVICE_ATTRS = ("name", "host_name", *ATTRS)
EVENTS = (
    "CheckResult",
    "StateChange",
    "AcknowledgementSet",
    "AcknowledgementCleared",
    "DowntimeStarted",
    "DowntimeRemoved",
)


@dataclass(slots=True)
class _Object:
    """What Icinga says of one host or service."""

    state: int = 0
    hard_state: int = 0
    soft: bool = False
    output: str = ""
    checked: float = 0.0  # 0: never checked
    since: float = 0.0
    attempt: int = 1
    reachable: bool = True
    acknowledged: bool = False
    downtime: int = 0

    @classmethod
    def of(cls, attrs: dict[str, Any]) -> _Object:
        result = attrs.get("last_check_result") or {}
        return cls(
            state=int(attrs.get("state") or 0),
            hard_state=int(attrs.get("last_hard_state") or 0),
            soft=int(attrs.get("state_type") or 0) == 0,
            output=str(result.get("output") or "") if isinstance(result, dict) else "",
            checked=float(attrs.get("last_check") or 0) if result else 0.0,
            since=float(attrs.get("last_hard_state_change") or 0),
            attempt=int(attrs.get("check_attempt") or 1),
            reachable=bool(attrs.get("last_reachable", True)),
            acknowledged=bool(attrs.get("acknowledgement")),
            downtime=int(attrs.get("downtime_depth") or 0),
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
        self._names = {source.host_of(name): name for name in layout.devices}
        self._hosts: dict[str, _Object] = {}
        self._services: dict[tuple[str, str], _Object] = {}
        self._subscribers: list[Subscriber] = []
        self._dirty: set[str] = set()
        self._flush: asyncio.TimerHandle | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._synced = asyncio.Event()
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
        found: dict[str, tuple[bool, set[str]]] = {}
        for icinga_name, host in self._hosts.items():
            device = self._names.get(icinga_name)
            if device is not None and (host.downtime or host.acknowledged):
                found[device] = (bool(host.downtime), {""} if host.acknowledged else set())
        for (icinga_name, service), obj in self._services.items():
            device = self._names.get(icinga_name)
            if device is not None and (obj.downtime or obj.acknowledged):
                down, acked = found.get(device, (False, set()))
                found[device] = (
                    down or bool(obj.downtime),
                    acked | {service} if obj.acknowledged else acked,
                )
        return {device: (down, frozenset(acked)) for device, (down, acked) in found.items()}

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
            self.api.objects("hosts", HOST_ATTRS), self.api.objects("services", SERVICE_ATTRS)
        )
        self._hosts = {str(item["attrs"]["name"]): _Object.of(item["attrs"]) for item in hosts}
        self._services = {
            (str(i["attrs"]["host_name"]), str(i["attrs"]["name"])): _Object.of(i["attrs"])
            for i in services
        }
        self._dirty.update(self._hosts)
        self._derive()
        self.last_round = RoundInfo(wall, time.monotonic() - started, len(self._hosts))
        self._deliver(self.last_round)
        self._synced.set()

    async def _stream(self) -> None:
        """Resync, then follow the stream; on any failure back off and start over."""
        backoff = 0.0
        while True:
            queue = f"lautre-tui-{uuid.uuid4().hex[:12]}"
            try:
                await self._resync()  # a change before the stream opens comes with the next check
                events = self.api.events(queue, EVENTS)
                self._set_trouble("")
                backoff = 0.0
                async for event in events:
                    self._absorb(event)
                raise ConnectionError(f"Icinga 2 at {self.url} closed the event stream")
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if not self._stale:  # "does not answer since 14:02" says more: it stays
                    self._set_trouble(f"{error}; reconnecting")
            backoff = min(MAX_BACKOFF, max(1.0, backoff * 2))
            await asyncio.sleep(self._rng.uniform(0.5, 1.0) * backoff)

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
                    self._dirty.update(self._hosts)
                    self._derive()
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

    def _absorb(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        host = str(event.get("host") or "")
        service = event.get("service")
        if kind in ("DowntimeStarted", "DowntimeRemoved"):
            downtime = event.get("downtime") or {}
            host = str(downtime.get("host_name") or "")
            service = downtime.get("service_name") or None
        obj = self._object(host, str(service) if service else None)
        if obj is None:
            return
        if kind == "CheckResult":
            result = event.get("check_result") or {}
            after = result.get("vars_after") or {}
            obj.state = int(after.get("state", result.get("state", 0)))
            obj.soft = int(after.get("state_type", 1)) == 0
            if not obj.soft and obj.state != obj.hard_state:
                obj.hard_state, obj.since = obj.state, float(event.get("timestamp") or time.time())
            obj.attempt = int(after.get("attempt", 1))
            obj.reachable = bool(after.get("reachable", True))
            obj.output = str(result.get("output") or "")
            obj.checked = float(result.get("execution_end") or event.get("timestamp") or 0)
        elif kind == "StateChange":
            obj.state = int(event.get("state", obj.state))
            obj.soft = int(event.get("state_type", 1)) == 0
            if not obj.soft:
                obj.hard_state = obj.state
        elif kind == "AcknowledgementSet":
            obj.acknowledged = True
        elif kind == "AcknowledgementCleared":
            obj.acknowledged = False
        elif kind == "DowntimeStarted":
            obj.downtime += 1
        elif kind == "DowntimeRemoved":
            obj.downtime = max(0, obj.downtime - 1)
        self._dirty.add(host)
        if self._flush is None:
            self._flush = asyncio.get_running_loop().call_later(BATCH_SECONDS, self._derive)

    def _object(self, host: str, service: str | None) -> _Object | None:
        if host not in self._names:
            return None
        if service is None:
            return self._hosts.setdefault(host, _Object())
        return self._services.setdefault((host, service), _Object())

    # -- judging --------------------------------------------------------------------

    def _derive(self) -> None:
        """The dirty hosts' health from Icinga's objects; then the tracker's judgement
        (staging, standby, power, behind a switch), published in one batch."""
        self._flush = None
        for icinga_name in self._dirty:
            device = self._names.get(icinga_name)
            if device is not None and icinga_name in self._hosts:
                self.tracker.hosts[device] = self._health(device, icinga_name)
        self._dirty.clear()
        self._publish(self.tracker.rejudge())
        self._publish(self.tracker.hosts.values())
        self._deliver()

    def _health(self, device: str, icinga_name: str) -> HostHealth:
        host = self._hosts[icinga_name]
        before = self.tracker.hosts[device]
        checks = []
        for name in check_names(self.layout, self.layout.devices[device]):
            obj = self._services.get((icinga_name, name))
            if obj is None or not obj.checked:
                continue
            hard = CheckState(obj.hard_state if obj.soft else obj.state)
            fails = 0 if obj.state == 0 else obj.attempt
            checks.append(
                CheckHealth(
                    name, hard, CheckState(obj.state), obj.output, fails, obj.since, obj.checked
                )
            )
        if not host.checked:
            reach, message = Reachability.NOT_POLLED, ""
        elif host.state == 0:
            reach, message = Reachability.UP, ""
        elif host.soft and before.reachability in (Reachability.UP, Reachability.STALE):
            reach = Reachability.STALE  # as the poller: failing, not yet hard
            message = f"{host.output} (soft, attempt {host.attempt})"
        else:
            reach, message = Reachability.DOWN, host.output
        return replace(
            before,
            reachability=reach,
            message=message,
            checks=tuple(checks),
            last_answer=host.checked if host.state == 0 and host.checked else before.last_answer,
            connection_fails=0 if host.state == 0 else host.attempt,
        )

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
