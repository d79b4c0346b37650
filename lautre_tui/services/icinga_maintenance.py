"""Maintenance windows and acknowledgements told to Icinga 2 as well, when it is
the status source, so that admins using Icinga Web see the same.

A window becomes `actions/schedule-downtime` on the device's Icinga host
(`all_services`; with its dependents, `child_options` lets Icinga put the
children it knows from the exported `Dependency` objects in downtime too, and a
dependent it did not cover gets its own); the names Icinga returns are kept in
the shared database so that whoever ends the window (`maint end`, the app,
expiry) removes them with `actions/remove-downtime`; names Icinga did not remove
stay there and are tried again (with back-off) by the next `expire()`, which the
app runs every second, until Icinga confirms. An acknowledgement becomes
`actions/acknowledge-problem` on the host or service, ended with
`actions/remove-acknowledgement`.

The shared database stays the truth: the local action is taken first, then Icinga
is told, outside the database's write lock. An Icinga that refuses or does not
answer leaves the window or acknowledgement standing here; why is kept in
`take_icinga_trouble()` for the CLI (stderr, exit 2) and the app (a notification).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

from lautre_tui.backends.icinga_api import IcingaApi, IcingaError
from lautre_tui.model.health import HostHealth
from lautre_tui.model.layout import Layout
from lautre_tui.model.maintenance import Ack, Comparison, Window
from lautre_tui.model.status_source import Icinga2Source
from lautre_tui.services.maintenance import Maintenance

T = TypeVar("T")
ICINGA_TIMEOUT = 10.0  # seconds; the local action is already taken
RETRY_AFTER = 30.0  # seconds before a downtime Icinga did not remove is tried again
RETRY_MAX = 600.0


def _host_of_downtime(name: str) -> str:
    """A downtime's name is `HOST!UUID` or `HOST!SERVICE!UUID`."""
    return name.split("!", 1)[0]


class IcingaMaintenance(Maintenance):
    """`Maintenance` whose windows and acknowledgements are mirrored in Icinga 2."""

    def __init__(self, layout: Layout, icinga: Icinga2Source, **kwargs: Any) -> None:
        super().__init__(layout, **kwargs)
        self.icinga = icinga
        self._trouble: list[str] = []  # what Icinga did not take, in order
        self._trouble_lock = threading.Lock()  # app workers add, the UI takes
        self.retry_after = RETRY_AFTER  # doubles after each refused retry, up to RETRY_MAX
        self._retry_at = 0.0  # monotonic time of the next retry of removals

    def take_icinga_trouble(self) -> list[str]:
        """What Icinga did not take since the last call (and forget it)."""
        with self._trouble_lock:
            said, self._trouble = self._trouble, []
        return said

    def _not_taken(self, line: str) -> None:
        with self._trouble_lock:
            self._trouble.append(line)

    # -- talking to Icinga (blocking: the CLI's thread or an app worker's) -----------

    def _ask(
        self, what: str, work: Callable[[IcingaApi], Awaitable[T]], *, say: bool = True
    ) -> T | None:
        """`work` done with a fresh client; None when Icinga did not take it (why is
        kept for the admin, unless `say` is False: a retry said once is enough)."""

        async def go() -> T:
            api = IcingaApi(self.icinga, timeout=ICINGA_TIMEOUT)
            try:
                return await work(api)
            finally:
                await api.close()

        try:
            return asyncio.run(go())
        except IcingaError as error:
            line = f"{what}: Icinga 2 did not take it: {error}"
        except Exception as error:  # never the end of the local action
            line = f"{what}: Icinga 2 at {self.icinga.url} did not take it: {error!r}"
        if say:
            self._not_taken(line)
        return None

    def _filter(self, device: str, check: str = "") -> dict[str, Any]:
        host = self.icinga.host_of(device)
        if not check:
            return {"type": "Host", "filter": "host.name==h", "filter_vars": {"h": host}}
        return {
            "type": "Service",
            "filter": "host.name==h && service.name==s",
            "filter_vars": {"h": host, "s": check},
        }

    # -- windows ----------------------------------------------------------------------

    def start(
        self,
        hosts: Iterable[str],
        ends: float,
        reason: str,
        *,
        with_dependents: bool = False,
        health: Mapping[str, HostHealth] | None = None,
    ) -> list[Window]:
        before = {w.id: w.ends for w in self.open_windows()}
        windows = super().start(hosts, ends, reason, with_dependents=with_dependents, health=health)
        new = [w for w in windows if w.id not in before]
        if new:
            self._schedule(new, with_dependents)
        self._reschedule([w for w in windows if w.id in before and w.ends != before[w.id]])
        return windows

    def extend(self, hosts: Iterable[str], ends: float) -> list[Window]:
        windows = super().extend(hosts, ends)
        self._reschedule(windows)
        return windows

    def _reschedule(self, windows: list[Window]) -> None:
        """Icinga cannot move a downtime's end: the old ones go, new ones come."""
        if windows:
            self._unschedule(windows)
            self._schedule(windows, any(w.root != w.device for w in windows))

    def _schedule(self, windows: list[Window], with_dependents: bool) -> None:
        by_host = {self.icinga.host_of(w.device): w for w in windows}
        roots = [w for w in windows if w.device == w.root]
        covered: dict[int, list[str]] = {}

        async def one(api: IcingaApi, window: Window, children: str) -> None:
            body = {
                **self._filter(window.device),
                "start_time": window.started,
                "end_time": window.ends,
                "fixed": True,
                "all_services": True,
                "child_options": children,
                "author": window.user,
                "comment": window.reason,
            }
            for result in await api.action("schedule-downtime", body):
                # The host's downtimes (its own, its children's): removing one removes
                # the service downtimes made with it, not the children's.
                kids = [c for c in result.get("child_downtimes") or () if isinstance(c, dict)]
                names = [str(d.get("name") or "") for d in (result, *kids)]
                for name in filter(None, names):
                    owner = by_host.get(_host_of_downtime(name), window)
                    covered.setdefault(owner.id, []).append(name)

        async def work(api: IcingaApi) -> None:
            children = "DowntimeTriggeredChildren" if with_dependents else "DowntimeNoChildren"
            for window in roots:
                await one(api, window, children)
            for window in windows:
                if window.id not in covered:  # a dependent Icinga does not know as a child
                    await one(api, window, "DowntimeNoChildren")

        names = ", ".join(w.device for w in windows)
        self._ask(f"downtime for {names}", work)
        if covered:
            with self.db.transaction() as db:
                db.executemany(
                    "INSERT OR IGNORE INTO icinga_downtimes VALUES (?, ?)",
                    [(window, name) for window, names in covered.items() for name in names],
                )

    def _unschedule(self, windows: list[Window]) -> None:
        ids = [w.id for w in windows]
        if not ids:
            return
        marks = ",".join("?" * len(ids))
        names = [
            str(row[0])
            for row in self.db.read(
                f"SELECT name FROM icinga_downtimes WHERE window_id IN ({marks})", ids
            )
        ]
        if not names:
            return
        # Not taken: the window is ended here all the same, and the names stay for
        # `expire()` to try again (Icinga would otherwise keep them until their end).
        devices = ", ".join(w.device for w in windows)
        self._remove(names, f"removing the downtime of {devices}")

    def _remove(self, names: list[str], what: str, *, say: bool = True) -> bool:
        """`remove-downtime` of `names`; once Icinga confirms, they leave the database.
        A refusal sets the next retry, later each time."""

        async def work(api: IcingaApi) -> bool:
            body = {"type": "Downtime", "filter": "downtime.__name in names"}
            await api.action(
                "remove-downtime", {**body, "filter_vars": {"names": names}}, missing_ok=True
            )
            return True

        if self._ask(what, work, say=say) is None:
            self._retry_at = time.monotonic() + self.retry_after
            self.retry_after = min(RETRY_MAX, self.retry_after * 2)
            return False
        marks = ",".join("?" * len(names))
        with self.db.transaction() as db:
            db.execute(f"DELETE FROM icinga_downtimes WHERE name IN ({marks})", names)
        return True

    def _retry_removals(self) -> None:
        """The downtimes of closed windows that Icinga did not remove yet: again."""
        if time.monotonic() < self._retry_at:
            return
        self._retry_at = time.monotonic() + self.retry_after  # looked at now and then
        ids = [w.id for w in self.open_windows()]
        marks = ",".join("?" * len(ids))
        names = [
            str(row[0])
            for row in self.db.read(
                f"SELECT name FROM icinga_downtimes WHERE window_id NOT IN ({marks})", ids
            )
        ]
        if names and self._remove(names, "removing downtimes again", say=False):
            self.retry_after = RETRY_AFTER

    def end(
        self, hosts: Iterable[str], comparison: Comparison | None = None, note: str = ""
    ) -> list[Window]:
        windows = super().end(hosts, comparison, note)
        self._unschedule(windows)
        return windows

    def expire(self) -> list[Window]:
        closed = super().expire()
        self._unschedule(closed)
        self._retry_removals()
        return closed

    # -- acknowledgements -------------------------------------------------------------

    def acknowledge(
        self,
        health: HostHealth,
        comment: str,
        *,
        check: str | None = None,
        sticky: bool = False,
        expires: float | None = None,
    ) -> list[Ack]:
        acks = super().acknowledge(health, comment, check=check, sticky=sticky, expires=expires)

        async def work(api: IcingaApi) -> None:
            for ack in acks:
                target = self._filter(ack.device, ack.check)
                await api.action("remove-acknowledgement", target)  # ours replaces any
                body: dict[str, Any] = {
                    **target,
                    "author": ack.user,
                    "comment": ack.comment,
                    "sticky": ack.sticky,
                    "notify": False,
                }
                if ack.expires is not None:
                    body["expiry"] = ack.expires
                await api.action("acknowledge-problem", body)

        if acks:
            self._ask(f"acknowledgement of {health.device}", work)
        return acks

    def reconcile(self, health: Mapping[str, HostHealth]) -> list[tuple[Ack, str]]:
        ended = super().reconcile(health)

        async def work(api: IcingaApi) -> None:
            for ack, _why in ended:
                await api.action(
                    "remove-acknowledgement", self._filter(ack.device, ack.check), missing_ok=True
                )

        if ended:
            devices = ", ".join(sorted({ack.device for ack, _ in ended}))
            self._ask(f"ending the acknowledgement of {devices}", work)
        return ended


def maintenance_for(layout: Layout, icinga: Icinga2Source | None) -> Maintenance:
    """The maintenance service: mirrored in Icinga 2 when it is the status source."""
    return Maintenance(layout) if icinga is None else IcingaMaintenance(layout, icinga)


__all__ = ["IcingaMaintenance", "maintenance_for"]
