"""The confirmation of a power action: what goes dark, then an explicit yes.

Cancel has the focus and Enter on it cancels: Enter alone never switches
power. The admin must move to the action button on purpose; for a protected
device (or one whose action darkens a protected one) the device's name must be
typed first, and the button stays disabled until it is. The button is also
disabled until the dialog has been drawn once: keys typed before the admin could
read what goes dark (a burst, a paste) never confirm it.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from lautre_tui.model.impact import PowerImpact


class ConfirmPower(ModalScreen[str | None]):
    """Dismissed with how it was confirmed (for the audit log), or None if cancelled."""

    DEFAULT_CSS = """
    ConfirmPower { align: center middle; }
    ConfirmPower > Vertical { width: 90; max-width: 98%; height: auto; max-height: 95%;
                              border: thick $error; background: $surface; padding: 0 1; }
    ConfirmPower #impact { height: auto; max-height: 16; }
    ConfirmPower #buttons { height: auto; align-horizontal: right; }
    ConfirmPower Button { margin: 0 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="confirm.cancel")]

    def __init__(self, impact: PowerImpact, notes: Sequence[str] = ()) -> None:
        super().__init__()
        self.impact = impact
        self.notes = list(notes)  # e.g. another admin's maintenance window, said first
        self.protected = bool(impact.protected)
        self.armed = False  # until drawn once

    def compose(self) -> ComposeResult:
        verb = {"on": "Switch ON", "off": "Switch OFF", "cycle": "Power-cycle"}[
            self.impact.action.value
        ]
        with Vertical() as box:
            box.border_title = f"{verb} {self.impact.device}?"
            with VerticalScroll(id="impact"):
                yield Static(
                    "\n".join([*self.notes, *self.impact.lines()]), id="impact-text", markup=False
                )
            if self.protected:
                yield Input(
                    placeholder=f"type {self.impact.device} to enable the button", id="typed-name"
                )
                yield Static(self._hint(False), id="hint", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel", variant="primary")
                yield Button(
                    f"{verb} {self.impact.device}", id="go", variant="error", disabled=True
                )

    def on_mount(self) -> None:
        # a protected device's name is typed first: the field has the focus (Enter in
        # it confirms nothing); otherwise Cancel has it, and Enter cancels
        self.query_one("#typed-name" if self.protected else "#cancel").focus()
        self.call_after_refresh(self._arm)

    def _hint(self, named: bool) -> str:
        if named:
            return "The name matches: Tab to the red button, then Enter (Esc cancels)."
        return f"Type {self.impact.device} to enable the button; Esc cancels."

    def _arm(self) -> None:
        """Drawn: from now on the action button can be reached (when the name fits)."""
        self.armed = True
        self._update_go()

    def _update_go(self) -> None:
        typed = self.query_one("#typed-name", Input).value if self.protected else ""
        named = not self.protected or typed.strip() == self.impact.device
        self.query_one("#go", Button).disabled = not (self.armed and named)
        if self.protected:
            self.query_one("#hint", Static).update(self._hint(self.armed and named))

    def on_input_changed(self, message: Input.Changed) -> None:
        self._update_go()

    def on_input_submitted(self, message: Input.Submitted) -> None:
        message.stop()  # Enter in the name field confirms nothing by itself

    def on_button_pressed(self, message: Button.Pressed) -> None:
        if message.button.id == "go":
            if not self.armed:
                return
            how = f"typed {self.impact.device!r}" if self.protected else "dialog button"
            self.dismiss(how)
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
