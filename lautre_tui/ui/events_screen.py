"""`e`: the event history, newest first, as lazygit's command log: every state
change (time, device, check, old → new) and every action (power, console,
maintenance, acknowledgement) with who did it and its result. Shared by the
admins of the bastion and kept across restarts; Enter goes to the device."""

from __future__ import annotations

import asyncio
import time

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from lautre_tui.model.names import printable
from lautre_tui.services.history import Event, History
from lautre_tui.ui.plain import plain


def event_line(event: Event, width: int) -> str:
    when = time.strftime("%d %H:%M:%S", time.localtime(event.time))
    who = f" ({event.who})" if event.who else ""
    text = f"{when} {event.device:<9} {event.what}{who}"
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


class EventsScreen(ModalScreen[str | None]):
    """Dismissed with the device to go to, or None."""

    DEFAULT_CSS = """
    EventsScreen { align: center middle; }
    EventsScreen > OptionList, EventsScreen > Static {
        width: 100%; max-width: 140; height: auto; max-height: 90%;
        border: round $accent; background: $surface;
    }
    """
    BINDINGS = [Binding("escape,q,e", "close", "Close", id="events.close")]

    def __init__(self, history: History, width: int, trouble: str = "") -> None:
        super().__init__()
        self.history = history
        self._width = width
        self._trouble = trouble

    def compose(self) -> ComposeResult:
        box = Static("reading the history…", id="events-status")
        box.border_title = "Events"
        box.border_subtitle = "Esc closes"
        yield box

    def on_mount(self) -> None:
        self.run_worker(self._read(), group="events-read", exclusive=True)

    async def _read(self) -> None:
        status = self.query_one("#events-status", Static)
        try:
            events = await asyncio.to_thread(self.history.events)
        except Exception as error:  # StateUnavailable above all: said, the app goes on
            status.update(plain(f"the history cannot be read: {error}"))
            return
        if not events:
            status.update(plain("Nothing yet: no state change and no action recorded."))
            return
        options = OptionList(
            *(Option(plain(event_line(e, self._width - 4)), id=None) for e in events)
        )
        self._devices = [event.device for event in events]
        options.border_title = f"Events ({len(events)}, newest first)"
        options.border_subtitle = "Enter goes to the device · Esc closes"
        if self._trouble:
            trouble = printable(f"not kept: {self._trouble}")[: self._width - 8]
            options.border_subtitle = Content(trouble)  # a path may hold `[`: never markup
        await status.remove()
        await self.mount(options)
        options.focus()

    def on_option_list_option_selected(self, message: OptionList.OptionSelected) -> None:
        self.dismiss(self._devices[message.option_index])

    def action_close(self) -> None:
        self.dismiss(None)
