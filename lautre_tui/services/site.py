"""The rack's services, owned and wired in one place.

The app's screens ask this object for the poller, the power service, the console
manager and the maintenance service; none of them builds or connects services
itself. Each service is created on first use, with its imports, so that nothing
but the layout stands between `main()` and the first frame (asyncssh, pyserial,
pyte and SQLite come after it). The wiring between services lives here too: an
outlet read-back tells the poller a host is powered off, a power action goes into
the device's console transcript and has its strip read again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from lautre_tui.model.health import HostHealth, Reachability, StatusUpdate
from lautre_tui.model.layout import Layout

if TYPE_CHECKING:
    from lautre_tui.model.history import StateChange
    from lautre_tui.services.console import ConsoleManager
    from lautre_tui.services.history import History
    from lautre_tui.services.icinga_source import IcingaSource
    from lautre_tui.services.maintenance import Maintenance
    from lautre_tui.services.power import PowerService
    from lautre_tui.services.source import StatusSource

MAX_UNSAVED = 10_000  # changes kept while the history cannot be written

# Told each status update, with the devices whose host key has just changed.
StatusListener = Callable[[StatusUpdate, list[HostHealth]], None]


class Site:
    """One layout's services. `poll=False` shows the layout alone (no SSH, no shared
    state); power and consoles exist when the layout has strips and console servers."""

    def __init__(
        self,
        layout: Layout,
        *,
        read_only: bool = False,
        interval: float | None = None,
        poll: bool = True,
        power: bool | None = None,
        consoles: bool | None = None,
        status_source: str | None = None,
    ) -> None:
        self.layout = layout
        self.read_only = read_only
        self.interval = interval
        self.polls = poll
        self.has_power = bool(layout.pdus) if power is None else power
        self.has_consoles = bool(layout.consoles) if consoles is None else consoles
        self.has_maintenance = poll  # windows are compared with polled checks
        self.status_source = status_source  # "poller", "icinga2", None: the layout's
        self.poller: StatusSource | None = None
        self.icinga: IcingaSource | None = None  # the poller, when Icinga 2 is the source
        self.power: PowerService | None = None
        self.consoles: ConsoleManager | None = None
        self.health: dict[str, HostHealth] = {}  # the latest health of each device
        self._history: History | None = None
        self.history_trouble = ""  # why the last state changes could not be kept
        self._unsaved: list[StateChange] = []  # in the order seen, not yet in the history
        self._writing: asyncio.Task[None] | None = None

    @classmethod
    def layout_only(cls, layout: Layout) -> Site:
        """No service at all: the rack as the layout draws it."""
        return cls(layout, poll=False, power=False, consoles=False)

    # -- the services, each made on first use -----------------------------------------

    def start_polling(self, listener: StatusListener) -> StatusSource | None:
        """Start the status source (once): the poller, or Icinga 2 when the layout or
        --status-source says so; `listener` hears every update, in the loop."""
        if not self.polls or self.poller is not None:
            return self.poller
        from lautre_tui.services.source import icinga_settings

        icinga = icinga_settings(self.layout, self.status_source)
        if icinga is not None:
            from lautre_tui.services.icinga_source import IcingaSource

            self.poller = self.icinga = IcingaSource(self.layout, icinga)
        else:
            from lautre_tui.services.poller import Poller

            self.poller = Poller(
                self.layout,
                interval=self.interval,
                strip_reader=self._read_strip if self.has_power else None,
            )

        from lautre_tui.model.history import transitions  # after the first paint

        def record(update: StatusUpdate) -> None:
            key_changes = []
            changes: list[StateChange] = []
            now = time.time()
            for health in update.hosts:
                before = self.health.get(health.device)
                changes += transitions(before, health, now)
                self.health[health.device] = health
                changed = health.reachability is Reachability.KEY_CHANGED
                if changed and (before is None or before.reachability is not health.reachability):
                    key_changes.append(health)
            if changes:
                self._keep(changes)
            listener(update, key_changes)

        self.poller.subscribe(record)
        self.poller.start()
        return self.poller

    def power_service(self) -> PowerService | None:
        """One power service per app: the poller reads the strips' cards through its
        sessions, so that the app never holds two sessions to one card."""
        if self.power is None and self.has_power:
            from lautre_tui.services.power import PowerService

            self.power = PowerService(self.layout, read_only=self.read_only)
            self.power.on_outlets(self._outlets_read)
            self.power.on_event(self._power_event)
        return self.power

    def console_manager(self) -> ConsoleManager | None:
        if self.consoles is None and self.has_consoles:
            from lautre_tui.services.console import ConsoleManager

            self.consoles = ConsoleManager(read_only=self.read_only)
        return self.consoles

    def history(self) -> History:
        """The shared event history (state changes and actions), made on first use."""
        if self._history is None:
            from lautre_tui.services.history import History

            self._history = History()
        return self._history

    def _keep(self, changes: list[StateChange]) -> None:
        """Into the shared history, in order, off the loop (a locked database never
        stalls the screen); changes that could not be written wait for the next."""
        self._unsaved.extend(changes)
        del self._unsaved[:-MAX_UNSAVED]
        if self._writing is None:
            self._writing = asyncio.get_running_loop().create_task(self._write())

    async def _write(self) -> None:
        try:
            while self._unsaved:
                batch, self._unsaved = self._unsaved, []
                try:
                    await asyncio.to_thread(self.history().record, batch)
                    self.history_trouble = ""
                except Exception as error:  # StateUnavailable, a bug: never the poller's end
                    self._unsaved[:0] = batch  # tried again with the next change
                    self.history_trouble = str(error) or error.__class__.__name__
                    return
        finally:
            self._writing = None

    def maintenance_service(self) -> Maintenance:
        """Mirrored in Icinga 2 (downtimes, acknowledgements) when it is the source."""
        from lautre_tui.services.icinga_maintenance import maintenance_for
        from lautre_tui.services.source import icinga_settings

        return maintenance_for(self.layout, icinga_settings(self.layout, self.status_source))

    # -- asking for fresh figures -------------------------------------------------------

    def refresh(self, name: str | None = None) -> str:
        """Poll one device (or all) now; what to tell the admin."""
        if self.poller is None:
            return "not polling"
        if name is None:
            self.poller.poll_now()
            return "polling every host now"
        if name not in self.poller.devices:
            return f"{name} is not polled over SSH"
        self.poller.poll_now(name)
        return f"polling {name} now"

    async def close(self) -> None:
        if self._writing is not None:
            await self._writing  # the last changes reach the history
        if self.poller is not None:
            await self.poller.stop()
        if self.power is not None:
            await self.power.close()
        if self.consoles is not None:
            await self.consoles.close_all()

    # -- the wiring between services ----------------------------------------------------

    async def _read_strip(self, pdu: str, max_age: float) -> tuple[dict[int, bool], float | None]:
        service = self.power_service()
        assert service is not None  # asked for only when the layout has strips
        return await service.read_strip(pdu, max_age)

    def _outlets_read(self, pdu: str, states: dict[int, bool]) -> None:
        if self.poller is not None:
            self.poller.set_outlets(pdu, states)

    def _power_event(self, device: str, text: str) -> None:
        """Power actions go into the device's console transcript, if it is open, and
        the strips that did them are read again at once (their load changed)."""
        if self.consoles is not None:
            self.consoles.event(device, text)
        if self.poller is not None:
            for link in self.layout.devices[device].power:
                card = self.layout.pdus[link.pdu].device
                if card is not None:
                    self.poller.poll_now(card)
