"""`!`: the devices that are not OK, worst first, with their failing checks, one
line each (as k9s's filtered views): what to look at at 3 a.m., and Enter goes
to it in the rack."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from lautre_tui.model.health import SEVERITY, HostHealth, Verdict
from lautre_tui.model.probe_format import CheckState
from lautre_tui.ui.badges import health_badge
from lautre_tui.ui.plain import plain

QUIET = frozenset({Verdict.OK, Verdict.STANDBY_OFF, Verdict.STAGING, Verdict.UNPOLLED})
CHECK_ORDER = {CheckState.CRITICAL: 0, CheckState.WARNING: 1, CheckState.UNKNOWN: 2}


def problems(hosts: Iterable[HostHealth]) -> list[HostHealth]:
    """The devices that are not fine, worst first (CRITICAL/DOWN, then WARNING, UNKNOWN)."""
    found = [h for h in hosts if h.verdict not in QUIET]
    return sorted(found, key=lambda h: (-SEVERITY[h.exit_code], h.device))


def problem_line(health: HostHealth, width: int) -> Text:
    """One line: glyph, device, state, then the failing checks, cut with an ellipsis."""
    badge = health_badge(health)
    failing = sorted(
        (c for c in health.checks if c.state in CHECK_ORDER),
        key=lambda c: CHECK_ORDER[c.state],
    )
    details = [
        f"{c.name}: {c.state.name} {c.output.splitlines()[0] if c.output else ''}".strip()
        for c in failing
    ] or ([health.message] if health.message else [])
    text = f"{badge.glyph} {health.device:<9} {health.verdict.label:<12} {'; '.join(details)}"
    if len(text) > width:
        text = text[: max(0, width - 1)] + "…"
    return plain(text)


class ProblemsScreen(ModalScreen[str | None]):
    """Dismissed with the device to go to, or None."""

    DEFAULT_CSS = """
    ProblemsScreen { align: center middle; }
    ProblemsScreen > OptionList { width: 100%; max-width: 120; height: auto; max-height: 90%;
                                  border: round $accent; background: $surface; }
    ProblemsScreen > Static { width: 100%; max-width: 120; height: auto;
                              border: round $accent; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,q,exclamation_mark", "close", "Close", id="problems.close")]

    def __init__(self, hosts: Iterable[HostHealth], width: int) -> None:
        super().__init__()
        self._problems = problems(hosts)
        self._width = width

    def compose(self) -> ComposeResult:
        if not self._problems:
            box = Static("Nothing is wrong: every device is OK, off as expected or staging.")
            box.border_title = "Problems"
            box.border_subtitle = "Esc closes"
            yield box
            return
        options = OptionList(
            *(Option(problem_line(h, self._width - 4), id=h.device) for h in self._problems)
        )
        options.border_title = f"Problems ({len(self._problems)})"
        options.border_subtitle = "Enter goes to it · Esc closes"
        yield options

    def on_option_list_option_selected(self, message: OptionList.OptionSelected) -> None:
        self.dismiss(message.option.id)

    def action_close(self) -> None:
        self.dismiss(None)
