"""What Icinga 2 says of the layout's hosts and services, and the app's states made
of it (the mapping; `icinga_source` holds the session and the stream).

Icinga's soft/hard states become the checks' current/hard states; a host Icinga
finds unreachable is DOWN (the `HealthTracker` then says "behind" its switch as it
does for the poller). One small slotted object per host and service is kept,
not the decoded answer: 10,000 services stay a few MB.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from lautre_tui.model.health import CheckHealth, HostHealth, Reachability, check_names
from lautre_tui.model.layout import Layout
from lautre_tui.model.probe_format import CheckState, HostFigures
from lautre_tui.model.status_source import Icinga2Source
from lautre_tui.services.icinga_perfdata import host_figures

if TYPE_CHECKING:  # httpx and msgspec come with the API client, after the first paint
    from lautre_tui.backends.icinga_api import Event, StateAttrs


@dataclass(slots=True)
class IcingaObject:
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
    figures: HostFigures | None = None  # hosts: read from the host check's perfdata

    @classmethod
    def of(cls, attrs: StateAttrs) -> IcingaObject:
        result = attrs.last_check_result
        return cls(
            int(attrs.state),
            int(attrs.last_hard_state),
            attrs.state_type == 0,
            result.output if result is not None else "",
            attrs.last_check if result is not None else 0.0,
            attrs.last_hard_state_change,
            int(attrs.check_attempt),
            attrs.last_reachable,
            bool(attrs.acknowledgement),
            int(attrs.downtime_depth),
        )

    def absorb(self, event: Event) -> None:
        """One event of the stream about this object."""
        kind = event.type
        if kind == "CheckResult":
            result = event.check_result
            if result is None:
                return
            after = result.vars_after
            self.state = int(after.state if after is not None else result.state)
            self.soft = after is not None and after.state_type == 0
            if not self.soft and self.state != self.hard_state:
                self.hard_state, self.since = self.state, event.timestamp or time.time()
            self.attempt = int(after.attempt) if after is not None else 1
            self.reachable = after.reachable if after is not None else True
            self.output = result.output
            self.checked = result.execution_end or event.timestamp
        elif kind == "StateChange":
            self.state = int(event.state if event.state is not None else self.state)
            self.soft = event.state_type == 0
            if not self.soft:
                self.hard_state = self.state
        elif kind in ("AcknowledgementSet", "AcknowledgementCleared"):
            self.acknowledged = kind == "AcknowledgementSet"
        elif kind == "DowntimeStarted":
            self.downtime += 1
        elif kind == "DowntimeRemoved":
            self.downtime = max(0, self.downtime - 1)


class IcingaObjects:
    """The layout's devices as Icinga names them, and Icinga's objects for them."""

    def __init__(self, layout: Layout, source: Icinga2Source) -> None:
        self.layout = layout
        self.devices = {source.host_of(name): name for name in layout.devices}
        self._own = {name: name for name in self.devices}
        self.hosts: dict[str, IcingaObject] = {}
        self.services: dict[tuple[str, str], IcingaObject] = {}
        self._checks = {  # device → its checks' names, asked of the layout once
            name: tuple(check_names(layout, device)) for name, device in layout.devices.items()
        }
        self._handling: dict[str, tuple[bool, frozenset[str]]] | None = None  # cached

    def load(self, hosts: list[StateAttrs], services: list[StateAttrs]) -> None:
        """A full read replaces everything known (objects of other hosts are dropped)."""
        own = self._own  # our names, so that 15,000 keys share 5,000 strings
        self._handling = None
        self.hosts = {}
        for attrs in hosts:
            if attrs.name in own:
                host = self.hosts[own[attrs.name]] = IcingaObject.of(attrs)
                if attrs.last_check_result is not None:
                    host.figures = host_figures(attrs.last_check_result.performance_data)
        self.services = {
            (own[s.host_name], sys.intern(s.name)): IcingaObject.of(s)
            for s in services
            if s.host_name in own
        }

    def absorb(self, event: Event) -> str | None:
        """Apply one event; the Icinga host it touched, if it is one of ours."""
        host, service = event.host, event.service
        if event.downtime is not None:
            host, service = event.downtime.host_name, event.downtime.service_name
        if host not in self.devices:
            return None
        if service:
            found = self.services.get((host, service))
            if found is None:
                found = self.services[(host, sys.intern(service))] = IcingaObject()
        else:
            found = self.hosts.setdefault(host, IcingaObject())
            if event.type == "CheckResult" and event.check_result is not None:
                figures = host_figures(event.check_result.performance_data)
                found.figures = figures or found.figures  # a host not answering has none
        found.absorb(event)
        if event.type.startswith(("Acknowledgement", "Downtime")):
            self._handling = None
        return host

    def handling(self) -> dict[str, tuple[bool, frozenset[str]]]:
        """Device → (in a downtime, the checks acknowledged: "" for the host), as
        Icinga says, for the devices with either (made in Icinga Web or by us);
        worked out again only after a change (the app asks every second)."""
        if self._handling is None:
            self._handling = self._find_handling()
        return self._handling

    def _find_handling(self) -> dict[str, tuple[bool, frozenset[str]]]:
        found: dict[str, tuple[bool, set[str]]] = {}
        for icinga_name, host in self.hosts.items():
            device = self.devices.get(icinga_name)
            if device is not None and (host.downtime or host.acknowledged):
                found[device] = (bool(host.downtime), {""} if host.acknowledged else set())
        for (icinga_name, service), obj in self.services.items():
            device = self.devices.get(icinga_name)
            if device is not None and (obj.downtime or obj.acknowledged):
                down, acked = found.get(device, (False, set()))
                found[device] = (
                    down or bool(obj.downtime),
                    acked | {service} if obj.acknowledged else acked,
                )
        return {device: (down, frozenset(acked)) for device, (down, acked) in found.items()}

    def health(self, before: HostHealth, icinga_name: str) -> HostHealth:
        """`before` (the tracker's) with what Icinga says of the host and its checks;
        the tracker judges it (staging, standby, power, behind a switch)."""
        host = self.hosts[icinga_name]
        checks = []
        for name in self._checks[before.device]:
            obj = self.services.get((icinga_name, name))
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
            figures=host.figures or before.figures,
            last_answer=host.checked if host.state == 0 and host.checked else before.last_answer,
            connection_fails=0 if host.state == 0 else host.attempt,
        )
