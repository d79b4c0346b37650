"""The console's questions: someone holds it (watch, take over, cancel), and the
one-line message to everyone on it. Text from others is shown as text."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from lautre_tui.ui.plain import plain


class HeldScreen(ModalScreen[str]):
    """Someone holds the console: `w` watch (spy), `f` take over, Esc cancel.
    Dismissed with "watch", "force" or "cancel"."""

    DEFAULT_CSS = """
    HeldScreen { align: center middle; }
    HeldScreen > Vertical { width: 76; max-width: 98%; height: auto; border: round $warning;
                            background: $surface; padding: 0 1; }
    """
    BINDINGS = [
        Binding("w", "choose('watch')", "Watch", id="console.held.watch"),
        Binding("f", "choose('force')", "Take over", id="console.held.force"),
        Binding("escape,c", "choose('cancel')", "Cancel", id="console.held.cancel"),
    ]

    def __init__(self, who: str) -> None:
        super().__init__()
        self.who = who

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(self.who))
            yield Static(
                "w  watch it (spy: live, read-only)\n"
                "f  take it over (their session closes the port and watches yours; audited)\n"
                "Esc  cancel",
                markup=False,
            )

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)


class MessageScreen(ModalScreen[str | None]):
    """A one-line message to everyone on the console; Esc sends nothing."""

    DEFAULT_CSS = """
    MessageScreen { align: center middle; }
    MessageScreen > Input { width: 76; max-width: 98%; border: round $accent; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="console.message.cancel")]

    def compose(self) -> ComposeResult:
        field = Input(placeholder="a message to everyone on this console (Enter sends)")
        field.border_title = "Message"
        yield field

    def on_input_submitted(self, message: Input.Submitted) -> None:
        self.dismiss(message.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class QuitWithConsoles(ModalScreen[bool]):
    """`q` with consoles open in the background: quitting detaches them. Dismissed
    with True to quit; Cancel (Esc, n) is the default."""

    DEFAULT_CSS = """
    QuitWithConsoles { align: center middle; }
    QuitWithConsoles > Vertical { width: 76; max-width: 98%; height: auto;
                                  border: round $warning; background: $surface; padding: 0 1; }
    """
    BINDINGS = [
        Binding("y", "choose(True)", "Quit", id="quit.yes"),
        Binding("escape,n", "choose(False)", "Cancel", id="quit.no"),
    ]

    def __init__(self, hosts: list[str]) -> None:
        super().__init__()
        self.hosts = hosts

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(f"Consoles open: {', '.join(self.hosts)}."))
            yield Static("y  quit and detach them (audited)\nEsc  stay", markup=False)

    def action_choose(self, quit: bool) -> None:
        self.dismiss(quit)
