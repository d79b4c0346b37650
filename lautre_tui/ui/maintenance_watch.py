"""The app's side of the shared maintenance state.

Every second a worker thread asks the database whether anyone committed
(`data_version`, microseconds) and closes windows past their end; only then are
the open windows and acknowledgements read again, so every running app sees
another admin's change within about a second. After each status round, the
acknowledgements that the round ends are closed. Database calls run in threads:
a database locked by another admin never freezes the screen. A database that
cannot be used is said once, maintenance actions are refused with the reason,
and the app keeps running. With Icinga 2 as the status source, its downtimes and
acknowledgements (Icinga Web's too) mark the rack and count as handled, read
from the source, never written into the database; what Icinga did not take of
ours is said in a notification.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from lautre_tui.model.health import HostHealth
from lautre_tui.model.maintenance import (
    WARN_BEFORE_END,
    CheckSnapshot,
    clock,
    compare,
    parse_until,
    problems,
    snapshot,
)
from lautre_tui.model.topology import transitive_dependents
from lautre_tui.services.audited import MaintenanceError
from lautre_tui.services.maintenance import Maintenance, Shared
from lautre_tui.services.state_db import StateUnavailable
from lautre_tui.ui.badges import ACK_MARK, MAINTENANCE_MARK
from lautre_tui.ui.maintenance_dialogs import (
    Acknowledge,
    AckRequest,
    EndMaintenance,
    StartMaintenance,
    WindowList,
    WindowRequest,
)

if TYPE_CHECKING:
    from lautre_tui.ui.app import RackApp

MaintenanceFactory = Callable[[], Maintenance]
TICK_SECONDS = 1.0


def describe(error: BaseException) -> str:
    return f"{error.__class__.__name__}: {error}" if str(error) else error.__class__.__name__


class MaintenanceWatch:
    def __init__(self, app: RackApp, factory: MaintenanceFactory) -> None:
        self.app = app
        self._factory = factory
        self.shared = Shared((), ())
        self.trouble = ""
        self.snapshots: dict[str, list[CheckSnapshot]] = {}
        self._version: tuple[int, int] | None = None
        self._busy = False
        self._icinga: dict[str, tuple[bool, frozenset[str]]] = {}

    @cached_property
    def service(self) -> Maintenance:
        """Made on first use, after the first paint: with SQLite, and httpx for Icinga."""
        return self._factory()

    # -- the shared state -------------------------------------------------------------

    def start(self) -> None:
        self.app.set_interval(TICK_SECONDS, self._tick)
        self._tick()

    def _tick(self) -> None:
        source = self.app.site.icinga
        if source is not None:
            icinga = source.handling()
            if icinga != self._icinga:
                self._icinga = icinga
                self.app.maintenance_changed()
        if not self._busy:
            self._busy = True
            self.app.run_worker(self._refresh(), group="maintenance-tick")

    async def _refresh(self) -> None:
        try:
            shared = await asyncio.to_thread(self._read)
        except StateUnavailable as error:
            self._unavailable(str(error))
        except Exception as error:  # an audit log that cannot be written, a bug: said, not fatal
            self._unavailable(f"the shared maintenance state: {describe(error)}")
        else:
            if self.trouble:
                self.trouble = ""
                self.app.notify("the shared state can be used again", title="maintenance")
            if shared is not None:
                self.shared, self.snapshots = shared
                self.app.maintenance_changed()
        finally:
            self._busy = False
            self._said_by_icinga()

    def _said_by_icinga(self) -> None:
        """What Icinga 2 did not take of ours (the local action stands)."""
        if self.app.site.icinga is None:
            return  # and httpx is never imported
        from lautre_tui.services.icinga_maintenance import IcingaMaintenance

        if isinstance(self.service, IcingaMaintenance):
            for line in self.service.take_icinga_trouble():
                self.app.notify(
                    f"{line}\nIt stands here all the same.",
                    title="Icinga 2",
                    severity="warning",
                    timeout=20,
                )

    def _read(self) -> tuple[Shared, dict[str, list[CheckSnapshot]]] | None:
        self.service.expire()
        changed, self._version = self.service.db.changed_since(self._version)
        if not changed:
            return None
        shared = self.service.shared()
        snapshots: dict[str, list[CheckSnapshot]] = {}
        for row in self.service.snapshot_of(shared.windows):
            snapshots.setdefault(row.device, []).append(row)
        return shared, snapshots

    def _unavailable(self, message: str) -> None:
        if message != self.trouble:
            self.trouble = message
            self.app.notify(
                f"{message}\nMaintenance windows and acknowledgements are refused"
                " until it is fixed.",
                title="maintenance unavailable",
                severity="error",
                timeout=30,
            )
            self.app.maintenance_changed()

    def after_round(self, health: Mapping[str, HostHealth]) -> None:
        """Close the acknowledgements that the round ends (recovered, changed)."""
        if not self.trouble and self.shared.acks:
            self._run(lambda: self.service.reconcile(dict(health)), None)

    def _run(self, call: Callable[[], Any], done: str | None) -> None:
        async def work() -> None:
            try:
                await asyncio.to_thread(call)
            except StateUnavailable as error:
                self._unavailable(str(error))
                return
            except (MaintenanceError, ValueError) as error:
                self.app.notify(str(error), title="maintenance", severity="error", timeout=10)
                return
            except Exception as error:  # never the end of the app
                self.app.notify(describe(error), title="maintenance", severity="error", timeout=10)
                return
            if done:
                self.app.notify(done, title="maintenance", timeout=5)
            self._said_by_icinga()
            self._tick()

        self.app.run_worker(work(), group="maintenance-write")

    # -- what the screen shows ----------------------------------------------------------

    def marks(self) -> dict[str, str]:
        marks = {a.device: ACK_MARK for a in self.shared.acks}
        marks.update({d: ACK_MARK for d, (_down, acked) in self._icinga.items() if acked})
        marks.update({w.device: MAINTENANCE_MARK for w in self.shared.windows})
        marks.update({d: MAINTENANCE_MARK for d, (down, _acked) in self._icinga.items() if down})
        return marks

    def handled(self, health: Mapping[str, HostHealth]) -> dict[str, str]:
        result = self.service.handled(health, self.shared)
        for device, (down, acked) in self._icinga.items():
            host = health.get(device)
            if host is None or host.exit_code == 0 or device in result:
                continue  # nothing to handle, or handled here already
            found = problems(host)
            if down:
                result[device] = "maintenance"
            elif found and set(found) <= acked:
                result[device] = "acknowledged"
        return result

    def notes(self, device: str, health: HostHealth | None) -> list[str]:
        lines: list[str] = []
        window = self.shared.window_for(device)
        if window is not None:
            lines.append(window.describe())
        lines += [ack.describe() for ack in self.shared.acks_for(device)]
        if window is not None and health is not None and device in self.snapshots:
            comparison = compare(self.snapshots[device], snapshot(health))
            if comparison.differences:
                lines.append("since maintenance began:")
                lines += [f"  {d.line()}" for d in comparison.differences]
        return lines

    def ending_soon(self) -> str:
        """For the header: the admin's own windows that end within five minutes."""
        now = self.service.clock()
        mine = [
            w
            for w in self.shared.windows
            if w.user == self.service.actor.user and w.ends - now <= WARN_BEFORE_END
        ]
        if not mine:
            return ""
        return f"{MAINTENANCE_MARK} {mine[0].device} ends {clock(mine[0].ends)}"

    def power_notes(self, devices: list[str]) -> list[str]:
        """Someone else's windows on the devices a power action touches."""
        lines: list[str] = []
        for name in devices:
            window = self.shared.window_for(name)
            if window is not None and window.user != self.service.actor.user:
                lines.append(
                    f"{window.user} has {name} in maintenance until {clock(window.ends)}: "
                    f"{window.reason}"
                )
        return lines

    # -- the admin's actions --------------------------------------------------------------

    def _refused(self) -> bool:
        if self.trouble:
            self.app.notify(
                f"refused: {self.trouble}", title="maintenance", severity="error", timeout=10
            )
        return bool(self.trouble)

    def open_dialog(self, device: str) -> None:
        if self._refused():
            return
        if self.shared.window_for(device) is not None:
            self.app.run_worker(self._end_flow(device), group="maintenance-end", exclusive=True)
            return
        dependents = transitive_dependents(self.service.layout, [device])

        def chosen(request: WindowRequest | None) -> None:
            if request is not None:
                self.start_window(device, request)

        self.app.push_screen(StartMaintenance(device, dependents), chosen)

    def start_window(self, device: str, request: WindowRequest) -> None:
        if self._refused():
            return
        try:
            ends = parse_until(request.until, self.service.clock())
        except ValueError as error:
            self.app.notify(str(error), title="maintenance", severity="error", timeout=10)
            return
        health = dict(self.app.site.health)
        self._run(
            lambda: self.service.start(
                [device],
                ends,
                request.reason,
                with_dependents=request.with_dependents,
                health=health,
            ),
            f"{device} in maintenance until {clock(ends)}",
        )

    async def fresh_round(self) -> dict[str, HostHealth]:
        """Poll every host now and return what that round saw."""
        poller = self.app.site.poller
        if poller is None:
            return dict(self.app.site.health)
        before = poller.last_round
        poller.poll_now()
        while poller.last_round is before:
            await asyncio.sleep(0.05)
        return dict(poller.tracker.hosts)

    async def _end_flow(self, device: str) -> None:
        try:
            windows = await asyncio.to_thread(self.service.windows_of, [device])
            if not windows:
                return
            self.app.notify("one fresh round before comparing…", timeout=3)
            health = await self.fresh_round()
            comparison = await asyncio.to_thread(self.service.compare, windows, health)
        except StateUnavailable as error:
            self._unavailable(str(error))
            return
        except Exception as error:
            self.app.notify(describe(error), title="maintenance", severity="error", timeout=10)
            return
        names = ", ".join(w.device for w in windows)

        def chosen(answer: str | None) -> None:
            if answer == "end":
                self._run(lambda: self.service.end([device], comparison), f"ended: {names}")
            elif answer == "extend":
                ends = max(w.ends for w in windows) + 1800
                self._run(
                    lambda: self.service.extend([device], ends),
                    f"extended until {clock(ends)}: {names}",
                )

        self.app.push_screen(
            EndMaintenance(f"End maintenance of {names}?", comparison.lines(), comparison.all_back),
            chosen,
        )

    def show_list(self) -> None:
        lines = [f"{w.device:<10} {w.describe()}" for w in self.shared.windows]
        lines += [f"{a.device:<10} {a.describe()}" for a in self.shared.acks]
        if self.trouble:
            lines.insert(0, self.trouble)
        self.app.push_screen(WindowList(lines or ["no open window, no acknowledgement"]))

    def acknowledge(self, device: str) -> None:
        if self._refused():
            return
        health = self.app.site.health.get(device)
        found = problems(health) if health is not None else {}
        if health is None or not found:
            self.app.notify(f"{device} has no problem to acknowledge", timeout=4)
            return
        lines = [f"{name or 'host'}: {state}" for name, state in found.items()]

        def chosen(request: AckRequest | None) -> None:
            if request is not None:
                self._run(
                    lambda: self.service.acknowledge(
                        health, request.comment, sticky=request.sticky
                    ),
                    f"{device} acknowledged",
                )

        self.app.push_screen(Acknowledge(device, lines), chosen)
