"""The small dialogs of maintenance: open a window (`m`), acknowledge (`a`), and
the end of a window with its before/after comparison.

They only gather what the admin types and return it; the shared state is written
by `MaintenanceWatch`. Text from hosts and other admins is shown with `plain`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Static

from lautre_tui.ui.plain import plain

Result = TypeVar("Result")

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 70; max-width: 98%; height: auto; max-height: 95%;
                     border: thick $warning; background: $surface; padding: 0 1; }}
{name} .buttons {{ height: auto; align-horizontal: right; }}
{name} Button {{ margin: 0 1; }}
{name} #lines {{ height: auto; max-height: 14; }}
"""


@dataclass(frozen=True, slots=True)
class WindowRequest:
    until: str
    reason: str
    with_dependents: bool


@dataclass(frozen=True, slots=True)
class AckRequest:
    comment: str
    sticky: bool


class Form(ModalScreen[Result | None]):
    """A dialog with a "go" button that submits and anything else that cancels."""

    def _submit(self) -> None:
        raise NotImplementedError

    def on_button_pressed(self, message: Button.Pressed) -> None:
        if message.button.id == "go":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class StartMaintenance(Form[WindowRequest]):
    """How long, why, and whether the devices that depend on it are included."""

    DEFAULT_CSS = DIALOG_CSS.format(name="StartMaintenance")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="maintenance.cancel")]

    def __init__(self, device: str, dependents: list[str]) -> None:
        super().__init__()
        self.device = device
        self.dependents = dependents

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"Maintenance of {self.device}"
            yield Input(value="1h", placeholder="for 30m, 2h… or until 18:30", id="until")
            yield Input(placeholder="reason (required, shown to every admin)", id="reason")
            if self.dependents:
                yield Checkbox(
                    plain(f"with what depends on it: {', '.join(self.dependents)}"),
                    value=False,
                    id="dependents",
                )
            yield Static("", id="error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Start", id="go", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    def on_input_submitted(self, message: Input.Submitted) -> None:
        message.stop()
        self._submit()

    def _submit(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        until = self.query_one("#until", Input).value.strip()
        if not reason or not until:
            self.query_one("#error", Static).update("a duration and a reason are both needed")
            return
        boxes = self.query("#dependents")
        with_dependents = bool(boxes) and self.query_one("#dependents", Checkbox).value
        self.dismiss(WindowRequest(until, reason, with_dependents))



class Acknowledge(Form[AckRequest]):
    """The problems acknowledged, and a comment."""

    DEFAULT_CSS = DIALOG_CSS.format(name="Acknowledge")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="acknowledge.cancel")]

    def __init__(self, device: str, problems: list[str]) -> None:
        super().__init__()
        self.device = device
        self.problems = problems

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"Acknowledge {self.device}"
            yield Static(plain("\n".join(self.problems)), id="lines")
            yield Input(placeholder="comment (required)", id="comment")
            yield Checkbox("sticky: until OK, through WARNING/CRITICAL changes", id="sticky")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Acknowledge", id="go", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#comment", Input).focus()

    def on_input_submitted(self, message: Input.Submitted) -> None:
        message.stop()
        self._submit()

    def _submit(self) -> None:
        comment = self.query_one("#comment", Input).value.strip()
        if comment:
            self.dismiss(AckRequest(comment, self.query_one("#sticky", Checkbox).value))



class EndMaintenance(ModalScreen[str | None]):
    """The comparison after a fresh round: "end" (anyway), "extend", or None (keep)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="EndMaintenance")
    BINDINGS = [Binding("escape", "cancel", "Keep open", id="end-maintenance.cancel")]

    def __init__(self, title: str, lines: list[str], all_back: bool) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines
        self.all_back = all_back

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            with VerticalScroll(id="lines"):
                yield Static(plain("\n".join(self.lines)), id="comparison")
            with Horizontal(classes="buttons"):
                yield Button("Keep open", id="keep", variant="primary")
                yield Button("Extend 30m", id="extend")
                label = "End" if self.all_back else "End anyway"
                yield Button(label, id="end", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    def on_button_pressed(self, message: Button.Pressed) -> None:
        self.dismiss(None if message.button.id == "keep" else message.button.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class WindowList(ModalScreen[None]):
    """`M`: every open window, and who acknowledged what."""

    DEFAULT_CSS = DIALOG_CSS.format(name="WindowList")
    BINDINGS = [Binding("escape,q,M", "close", "Close", id="maintenance-list.close")]

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Maintenance"
            with VerticalScroll(id="lines"):
                yield Static(plain("\n".join(self.lines)), id="windows")

    def action_close(self) -> None:
        self.dismiss(None)
