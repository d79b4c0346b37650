"""`f` in the demo: inject a fault into the lab, for training ("what if fey dies?").

The screen only sends control lines through the injector it is given; it knows
nothing of the lab itself.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from lautre_tui.model.layout import Device, Layout
from lautre_tui.ui.plain import plain

Injector = Callable[[str], str]


def fault_choices(layout: Layout, device: Device) -> list[tuple[str, str]]:
    """(label, control line) for every fault that makes sense on `device`."""
    name = device.name
    choices: list[tuple[str, str]] = []
    if device.ssh.host is not None or device.kind.value == "server":
        choices += [
            ("SSH port refuses connections", f"fault refused {name}"),
            ("SSH black hole (accepts, never answers)", f"fault blackhole {name}"),
            ("answers slowly (5 s)", f"fault slow {name}"),
            ("refuses our key (auth failure)", f"fault auth-failure {name}"),
            ("presents another host key", f"fault host-key-changed {name}"),
            ("answers garbage", f"fault garbage {name}"),
            ("drops the connection mid-command", f"fault drop-mid-command {name}"),
        ]
        choices += [
            (f"service down: {check.name}", f"fault service-down {name} {check.name}")
            for check in device.services
        ]
    if device.console is not None:
        choices += [
            ("console port refused", f"fault refused console:{name}"),
            ("console connection dropped", f"fault drop-mid-command console:{name}"),
        ]
    for pdu in layout.pdus:
        choices += [
            (f"strip {pdu}: CLI session busy", f"fault pdu-busy pdu:{pdu}"),
            (f"strip {pdu}: commands fail (E102)", f"fault pdu-error pdu:{pdu}"),
        ]
    choices += [(f"clear the faults of {name}", f"clear {name}"), ("clear every fault", "clear")]
    return choices


class LabFaultScreen(ModalScreen[None]):
    """Pick a fault for the selected device; the lab's reply is shown as a notification."""

    DEFAULT_CSS = """
    LabFaultScreen { align: center middle; }
    LabFaultScreen > OptionList { width: 60; max-width: 95%; height: auto; max-height: 80%;
                                  border: round $warning; }
    """
    BINDINGS = [Binding("escape,q", "dismiss", "Close", id="faults.close")]

    def __init__(self, layout: Layout, device: Device, injector: Injector) -> None:
        super().__init__()
        self._choices = fault_choices(layout, device)
        self._injector = injector
        self._device = device

    def compose(self) -> ComposeResult:
        options = OptionList(
            *(Option(plain(label), id=str(i)) for i, (label, _line) in enumerate(self._choices))
        )
        options.border_title = f"Lab fault on {self._device.name}"
        options.border_subtitle = "Enter injects · Esc closes"
        yield options

    def on_option_list_option_selected(self, message: OptionList.OptionSelected) -> None:
        label, line = self._choices[int(message.option.id or 0)]
        try:
            reply = self._injector(line)
        except OSError as error:
            reply = f"error: the lab does not answer ({error})"
        self.app.notify(
            f"{label}: {reply}",
            title="lab",
            severity="error" if reply.startswith("error") else "information",
        )
        self.dismiss()
