"""The counts an admin reads first: how many hosts are fine, and how many are not.

Glyph and number only (● ok, ✕ failing but not yet hard, ▲ warning, ✖ critical,
▼ down, … stale), so that the header still has room for the layout's path at 80
columns; `?` explains them.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping

from rich.text import Text
from textual.widgets import Static

from lautre_tui.model.health import HostHealth, RoundInfo, Verdict
from lautre_tui.ui.badges import soft_problem

GROUPS: tuple[tuple[str, str, frozenset[Verdict]], ...] = (
    ("● ", "OK", frozenset({Verdict.OK, Verdict.STANDBY_OFF})),
    (
        "▲ ",
        "WARN",
        frozenset({Verdict.WARNING, Verdict.STANDBY_RUNNING, Verdict.STANDBY_NEEDED}),
    ),
    ("✖ ", "CRIT", frozenset({Verdict.CRITICAL})),
    ("▼ ", "DOWN", frozenset({Verdict.DOWN, Verdict.BEHIND, Verdict.POWERED_OFF})),
    ("… ", "STALE", frozenset({Verdict.STALE, Verdict.UNKNOWN})),
)
STYLES = {"OK": "green", "WARN": "yellow", "CRIT": "bold red", "DOWN": "red", "STALE": "yellow"}


def summary(
    hosts: Iterable[HostHealth],
    last_round: RoundInfo | None,
    trouble: str | None = None,
    handled: Mapping[str, str] | None = None,
    note: str = "",
) -> Text:
    """Counts of unhandled hosts; those whose problems are handled (in maintenance,
    acknowledged) are counted apart, after `⚒`."""
    handled = handled or {}
    unhandled = [host for host in hosts if host.device not in handled]
    soft = [h for h in unhandled if h.verdict is Verdict.OK and soft_problem(h) is not None]
    counts = Counter(host.verdict for host in unhandled)
    counts[Verdict.OK] -= len(soft)  # failing, not yet hard: never counted as fine
    text = Text()
    if trouble:  # the poller failed: said first, so that the counts are not trusted blindly
        text.append(f"⚠ {trouble} ", style="bold red")
    if note:
        text.append(f"{note} ", style="bold yellow")
    for glyph, word, verdicts in GROUPS:
        number = sum(counts[v] for v in verdicts)
        text.append(f"{glyph.strip()}{number} ", style=STYLES[word] if number else "dim")
        if word == "OK" and soft:
            text.append(f"✕{len(soft)} ", style="italic yellow")
    if handled:
        text.append(f"⚒{len(handled)} ", style="cyan")
    if last_round is not None:
        text.append(time.strftime("%H:%M:%S", time.localtime(last_round.started)), style="dim")
    else:
        text.append("polling…", style="dim")
    return text


class StatusBar(Static):
    """Lives in the top bar, right of the title."""

    DEFAULT_CSS = "StatusBar { width: auto; padding: 0 1; }"

    def show(
        self,
        hosts: Iterable[HostHealth],
        last_round: RoundInfo | None,
        trouble: str | None = None,
        handled: Mapping[str, str] | None = None,
        note: str = "",
    ) -> None:
        self.update(summary(hosts, last_round, trouble, handled, note))
