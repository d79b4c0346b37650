"""`e`: the event history, newest first, as lazygit's command log: every state
change (time, device, check, old → new) and every action (power, console,
maintenance, acknowledgement) with who did it and its result. Shared by the
admins of the bastion and kept across restarts; Enter goes to the device."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen

from lautre_tui.ui.events_pane import EventsPane

if TYPE_CHECKING:
    from lautre_tui.services.history import History


class EventsScreen(ModalScreen[str | None]):
    """Dismissed with the device to go to, or None."""

    DEFAULT_CSS = """
    EventsScreen { align: center middle; }
    EventsScreen > EventsPane {
        width: 100%; max-width: 140; height: auto; max-height: 90%; border: round $accent;
    }
    """
    BINDINGS = [Binding("escape,q,e", "close", "Close", id="events.close")]

    def __init__(self, history: Callable[[], History], trouble: Callable[[], str]) -> None:
        super().__init__()
        self._history = history
        self._trouble = trouble

    def compose(self) -> ComposeResult:
        yield EventsPane(self._history, self._trouble, hint="Enter goes to the device · Esc closes")

    def on_mount(self) -> None:
        self.query_one(EventsPane).focus()

    def on_events_pane_chosen(self, message: EventsPane.Chosen) -> None:
        self.dismiss(message.device)

    def action_close(self) -> None:
        self.dismiss(None)
