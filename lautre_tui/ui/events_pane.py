"""The event history as a list: newest first, one line per state change or action,
read off the loop. The same widget is the `e` view and, on a large terminal, a
pane under the device's, as lazygit keeps its command log in sight.

Nothing here imports SQLite: the history is asked for (and made) only when the list
is first read, after the rack has been painted."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from lautre_tui.model.names import printable
from lautre_tui.ui.plain import plain

if TYPE_CHECKING:
    from lautre_tui.services.history import Event, History

LIMIT = 500
EVERY = 5.0  # seconds between two reads while shown: other admins' actions come in too
BESIDE_RACK = (140, 40)  # the least terminal that has room for the pane under the device's


def event_line(event: Event, width: int) -> str:
    when = time.strftime("%d %H:%M:%S", time.localtime(event.time))
    who = f" ({event.who})" if event.who else ""
    text = f"{when} {event.device:<9} {event.what}{who}"
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def fits_beside_rack(columns: int, lines: int) -> bool:
    return columns >= BESIDE_RACK[0] and lines >= BESIDE_RACK[1]


class EventsPane(OptionList):
    """Re-read by `reload()`; a line chosen with Enter posts `Chosen` with its device."""

    DEFAULT_CSS = """
    EventsPane { border: round $primary-darken-2; background: $surface; }
    EventsPane:focus { border: heavy $accent; }
    """

    class Chosen(Message):
        def __init__(self, device: str) -> None:
            super().__init__()
            self.device = device

    def __init__(
        self,
        history: Callable[[], History],
        trouble: Callable[[], str],
        *,
        hint: str = "",
        id: str | None = None,
    ) -> None:
        """`trouble`: why the last changes could not be kept (shown instead of `hint`)."""
        super().__init__(id=id)
        self._history = history
        self._trouble = trouble
        self._hint = hint
        self.border_subtitle = hint
        self._version: object = None  # the history's, when last read
        self._said = False  # the history was read and shown
        self._devices: list[str] = []
        self.border_title = "Events"

    def on_mount(self) -> None:
        self._say("reading the history…")
        self.set_interval(EVERY, self._tick)
        if self.display:
            self.call_after_refresh(self.reload)

    @property
    def has_read(self) -> bool:
        """The history has been read at least once (and could be)."""
        return self._said

    def fit(self, columns: int, lines: int) -> None:
        """Beside the rack: shown only on a terminal that has room for it."""
        shown = fits_beside_rack(columns, lines)
        if shown and not self.display:
            self.call_after_refresh(self.reload)
        self.display = shown

    def _tick(self) -> None:
        if self.display and self.screen.is_current:
            self.reload()

    def reload(self) -> None:
        """Read the history again (one read at a time; the newest asked wins)."""
        self.run_worker(self._read(), group="events-read", exclusive=True)

    async def _read(self) -> None:
        """Read again only when someone wrote since (a cheap look at the database's
        and the audit log's versions): every 5 s on a large terminal."""
        try:
            history = self._history()
            version = await asyncio.to_thread(history.version)
            if version != self._version:
                events = await asyncio.to_thread(history.events, LIMIT)
                self._version = version
                self._show(events)
        except Exception as error:  # StateUnavailable above all: said, the app goes on
            self._version = None
            self._said = False
            self._say(f"the history cannot be read: {error}")
        self._show_trouble()

    def _say(self, text: str) -> None:
        self.clear_options()
        self.add_option(Option(plain(text), disabled=True))
        self._devices = []
        self.border_title = "Events"

    def _show_trouble(self) -> None:
        trouble = self._trouble()
        self.border_subtitle = (  # a path may hold `[`: never markup
            Content(printable(f"not kept: {trouble}")[: max(0, self.size.width - 8)])
            if trouble
            else self._hint
        )

    def _show(self, events: list[Event]) -> None:
        self._said = True
        if not events:
            self._say("Nothing yet: no state change and no action recorded.")
            return
        width = max(20, self.scrollable_content_region.width or self.app.size.width - 4)
        highlighted = self.highlighted
        self.clear_options()
        self.add_options(Option(plain(event_line(event, width))) for event in events)
        self._devices = [event.device for event in events]
        self.border_title = f"Events ({len(events)}, newest first)"
        if highlighted is not None:
            self.highlighted = min(highlighted, len(events) - 1)

    def on_option_list_option_selected(self, message: OptionList.OptionSelected) -> None:
        message.stop()
        if message.option_index < len(self._devices):
            self.post_message(self.Chosen(self._devices[message.option_index]))
