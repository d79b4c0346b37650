"""`p`: the device's outlets with their live state, the whole strip, and the actions."""

from __future__ import annotations

from collections.abc import Callable

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from lautre_tui.model.impact import PowerAction
from lautre_tui.model.layout import Device
from lautre_tui.services.power import OutletState, PduError, PowerRefused, PowerService
from lautre_tui.ui.confirm_power import ConfirmPower
from lautre_tui.ui.device_links import strip_table
from lautre_tui.ui.footer import LeanFooter
from lautre_tui.ui.plain import plain
from lautre_tui.ui.tones import tones_of


class WatchBoot(ModalScreen[bool]):
    """After a power cycle: watch the boot on the console, read-only? (default: no)."""

    DEFAULT_CSS = """
    WatchBoot { align: center middle; }
    WatchBoot > Static { width: 64; height: auto; border: round $accent; background: $surface;
                         padding: 0 1; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="watch.yes"),
        Binding("n,escape,enter", "answer(False)", "No", id="watch.no"),
    ]

    def __init__(self, device: str) -> None:
        super().__init__()
        self.device = device

    def compose(self) -> ComposeResult:
        yield Static(f"{self.device} is booting. Watch its console, read-only? [y/N]", markup=False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class PowerScreen(ModalScreen[None]):
    """Reads the strip when it opens; actions go through `ConfirmPower`."""

    DEFAULT_CSS = """
    PowerScreen { align: center middle; }
    PowerScreen > VerticalScroll { width: 90; max-width: 98%; height: 90%;
                                   border: round $warning; background: $surface; }
    """
    BINDINGS = [
        Binding("escape,q", "dismiss", "Close", id="power.close"),
        Binding("o", "act('on')", "On", id="power.on"),
        Binding("x", "act('off')", "Off", id="power.off"),
        Binding("y", "act('cycle')", "Cycle", id="power.cycle"),
        Binding("r", "read", "Re-read", id="power.read"),
    ]

    def __init__(
        self,
        device: Device,
        service: PowerService,
        *,
        live: dict[str, str],
        notes: Callable[[list[str]], list[str]] | None = None,
    ) -> None:
        super().__init__()
        self.device = device
        self.service = service
        self.live = live
        self.notes = notes  # what to say first about the devices touched (maintenance)
        self.strips: dict[str, dict[int, OutletState]] = {}
        self._load_before: dict[str, float] = {}  # the strips' load before our last action
        self._last_action = ""

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = f"Power: {self.device.name}"
            box.border_subtitle = "o on · x off · y cycle · r re-read · Esc close"
            yield Static("reading the strip…", id="outlets")
            yield Static(id="result")
        yield LeanFooter()

    def on_mount(self) -> None:
        self.action_read()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "act":
            return bool(self.device.power)
        return True

    @work(exclusive=True, group="power-read")
    async def action_read(self) -> None:
        strips = {link.pdu for link in self.device.power}
        strips |= {
            p.name for p in self.service.layout.pdus.values() if p.device == self.device.name
        }
        try:
            for pdu in sorted(strips):
                await self.service.read_strip(pdu)  # outlets and load, in one burst
                self.strips[pdu] = self.service.last_outlets[pdu]
        except PduError as error:
            if not self.is_attached:  # closed while the card answered
                return
            self.query_one("#outlets", Static).update(
                plain(f"cannot read the strip: {error}", tones_of(self)["failed"])
            )
            return
        if self.is_attached:
            self.query_one("#outlets", Static).update(self._tables())

    def _tables(self) -> Table:
        outer = Table.grid(padding=(1, 0))
        mine = {(link.pdu, link.outlet) for link in self.device.power}
        for pdu, states in self.strips.items():
            marked = {number for strip, number in mine if strip == pdu}
            outer.add_row(strip_table(tones_of(self), self.service.layout, pdu, states, marked))
            outer.add_row(self._load_line(pdu))
        if not mine:
            outer.add_row(
                plain(
                    f"{self.device.name} is fed by no outlet of the layout.",
                    tones_of(self)["warning"],
                )
            )
        return outer

    def _load_line(self, pdu: str) -> Text:
        """The strip's load, and what it was before the last action from here."""
        load = self.service.last_load.get(pdu)
        amps = load.amps if load is not None else None
        line = f"load of {pdu}: " + (f"{amps:.1f} A" if amps is not None else "unknown")
        before = self._load_before.get(pdu)
        if before is not None and amps is not None:
            line += f" (was {before:.1f} A before the {self._last_action})"
        return Text(line, style="bold")

    def action_act(self, action: str) -> None:
        power_action = PowerAction(action)
        if self.service.read_only:
            self.service.decline(self.device.name, power_action, "refused: read-only mode")
            self.notify("read-only mode: power actions are refused", severity="error")
            return
        impact = self.service.impact(self.device.name, power_action, live=self.live)
        notes = self.notes([self.device.name, *impact.dark]) if self.notes else []
        self.app.push_screen(
            ConfirmPower(impact, notes), lambda how: self._confirmed(power_action, how)
        )

    def _confirmed(self, action: PowerAction, how: str | None) -> None:
        if how is None:
            self.service.decline(self.device.name, action, "refused: cancelled in the dialog")
            self.notify("cancelled: nothing switched", timeout=3)
            return
        self._run(action, how)

    @work(exclusive=True, group="power-act")
    async def _run(self, action: PowerAction, how: str) -> None:
        result = self.query_one("#result", Static)
        result.update(
            plain(
                f"{action.value} {self.device.name}: working, reading back…",
                tones_of(self)["busy"],
            )
        )
        self._load_before = {
            pdu: load.amps for pdu, load in self.service.last_load.items() if load.amps is not None
        }
        self._last_action = f"{action.value} of {self.device.name}"
        try:
            done = await self.service.act(self.device.name, action, confirmation=how)
        except PowerRefused as refused:
            result.update(plain(f"refused: {refused}", tones_of(self)["failed"]))
            return
        style = tones_of(self)["done" if done.ok else "failed"]
        prefix = "" if done.ok else "FAILED: "
        result.update(plain(prefix + done.message, style))
        self.notify(
            prefix + done.message, severity="information" if done.ok else "error", timeout=10
        )
        self.action_read()
