"""`?`: every key of the app, read from the live bindings so it can never lie."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from lautre_tui.ui.plain import plain


def binding_rows(bindings: list[tuple[str, Binding]]) -> Table:
    """A table of (keys, what they do) for the given (section, binding) pairs."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(style="dim")
    for section, binding in bindings:
        keys = binding.key_display or ", ".join(binding.key.split(","))
        table.add_row(plain(keys), plain(binding.description or binding.action), section)
    return table


class HelpScreen(ModalScreen[None]):
    """A modal list of keys; any of Escape, q or ? closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen #help-keys, HelpScreen #help-legend { width: auto; height: auto; }
    HelpScreen > VerticalScroll {
        width: 76; max-width: 95%; height: auto; max-height: 90%;
        border: round $accent; padding: 0 1; background: $surface;
    }
    """

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]

    def __init__(self, bindings: list[tuple[str, Binding]], *, legend: str = "") -> None:
        super().__init__()
        self._key_rows = bindings
        self._legend = legend

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "Keys"
            scroll.border_subtitle = "Esc closes"
            yield Static(binding_rows(self._key_rows), id="help-keys")
            if self._legend:
                yield Static("\n" + self._legend, id="help-legend", markup=False)
