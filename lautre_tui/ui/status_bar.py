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
from lautre_tui.ui.badges import HANDLED_MARK, HEALTH_BADGES, SOFT_MARK, soft_problem
from lautre_tui.ui.tones import Tones, tones_of

# Each count: the verdict whose glyph it shows (also its tone), and what it adds up.
GROUPS: tuple[tuple[Verdict, frozenset[Verdict]], ...] = (
    (Verdict.OK, frozenset({Verdict.OK, Verdict.STANDBY_OFF})),
    (
        Verdict.WARNING,
        frozenset({Verdict.WARNING, Verdict.STANDBY_RUNNING, Verdict.STANDBY_NEEDED}),
    ),
    (Verdict.CRITICAL, frozenset({Verdict.CRITICAL})),
    (Verdict.DOWN, frozenset({Verdict.DOWN, Verdict.BEHIND, Verdict.POWERED_OFF})),
    (Verdict.STALE, frozenset({Verdict.STALE, Verdict.UNKNOWN})),
)


def summary(
    tones: Tones,
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
        text.append(f"⚠ {trouble} ", style=tones["failed"])
    if note:
        text.append(f"{note} ", style=tones["note"])
    for shown, verdicts in GROUPS:
        number = sum(counts[v] for v in verdicts)
        tone = tones[shown.value] if number else tones["muted"]
        text.append(f"{HEALTH_BADGES[shown].glyph}{number} ", style=tone)
        if shown is Verdict.OK and soft:
            text.append(f"{SOFT_MARK}{len(soft)} ", style=tones["soft"])
    if handled:
        text.append(f"{HANDLED_MARK}{len(handled)} ", style=tones["handled"])
    if last_round is not None:
        stamp = time.strftime("%H:%M:%S", time.localtime(last_round.started))
        text.append(stamp, style=tones["muted"])
    else:
        text.append("polling…", style=tones["muted"])
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
        self.update(summary(tones_of(self), hosts, last_round, trouble, handled, note))
