"""How a device's state is shown: a glyph and a word as well as a colour, so that
meaning survives a monochrome terminal or a colour-blind admin."""

from __future__ import annotations

from dataclasses import dataclass

from lautre_tui.model.health import HostHealth, Reachability, Verdict
from lautre_tui.model.layout import Device, Lifecycle
from lautre_tui.model.probe_format import CheckState


@dataclass(frozen=True, slots=True)
class Badge:
    """`style` is a CSS class suffix of the rack view (`state-<style>`)."""

    glyph: str
    word: str
    style: str


NOT_POLLED = Badge("○", "not yet polled", "unpolled")
STANDBY = Badge("◌", "standby (expected off)", "standby")
STAGING = Badge("◇", "staging (not in production)", "staging")


def lifecycle_badge(device: Device) -> Badge:
    """The badge before any live state is known: what the layout expects."""
    if device.state is Lifecycle.STANDBY:
        return STANDBY
    if device.state is Lifecycle.STAGING:
        return STAGING
    return NOT_POLLED


HEALTH_BADGES: dict[Verdict, Badge] = {
    Verdict.UNPOLLED: NOT_POLLED,
    Verdict.OK: Badge("●", "ok", "ok"),
    Verdict.WARNING: Badge("▲", "warning", "warning"),
    Verdict.CRITICAL: Badge("✖", "critical", "critical"),
    Verdict.UNKNOWN: Badge("?", "unknown", "stale"),
    Verdict.DOWN: Badge("▼", "down", "down"),
    Verdict.BEHIND: Badge("▽", "unreachable behind a switch", "down"),
    Verdict.STALE: Badge("…", "stale (no fresh answer)", "stale"),
    Verdict.POWERED_OFF: Badge("⏻", "powered off", "off"),
    Verdict.STANDBY_OFF: Badge("◌", "standby (off, as expected)", "standby"),
    Verdict.STANDBY_RUNNING: Badge("▲", "standby running: has its twin failed?", "warning"),
    Verdict.STAGING: STAGING,
    Verdict.UNMONITORED: Badge("·", "unmonitored: nothing checks it", "unpolled"),
    Verdict.STANDBY_NEEDED: Badge("▲", "standby off while its primary is down", "warning"),
}


# A check's state: filled when hard, hollow while it is still soft (not yet confirmed).
CHECK_GLYPHS = {
    CheckState.OK: "●",
    CheckState.WARNING: "▲",
    CheckState.CRITICAL: "✖",
    CheckState.UNKNOWN: "?",
}
SOFT_GLYPHS = {CheckState.WARNING: "△", CheckState.CRITICAL: "✕", CheckState.UNKNOWN: "?"}
SOFT_MARK = SOFT_GLYPHS[CheckState.CRITICAL]  # the header's count of soft failures

# Problems someone handles: counted apart in the header, marked on the rack.
MAINTENANCE_MARK = "⚒"
ACK_MARK = "✓"
HANDLED_MARK = MAINTENANCE_MARK


def legend() -> str:
    """The help's key to every glyph, from the badges themselves."""
    b = HEALTH_BADGES
    soft = f"{SOFT_GLYPHS[CheckState.WARNING]} {SOFT_GLYPHS[CheckState.CRITICAL]}"
    return (
        f"States: {b[Verdict.OK].glyph} ok  {b[Verdict.WARNING].glyph} warning  "
        f"{b[Verdict.CRITICAL].glyph} critical  {b[Verdict.DOWN].glyph} down  "
        f"{b[Verdict.BEHIND].glyph} behind a dead switch\n"
        f"        {soft} failing, not yet hard (soft)  {b[Verdict.STALE].glyph} stale  "
        f"{b[Verdict.POWERED_OFF].glyph} powered off\n"
        f"        {NOT_POLLED.glyph} not yet polled  {b[Verdict.UNMONITORED].glyph} unmonitored  "
        f"{STANDBY.glyph} standby (off, as expected)\n"
        f"        {STAGING.glyph} staging (never alerts)\n"
        f"Header: counts of {b[Verdict.OK].glyph} ok, {SOFT_MARK} soft, "
        f"{b[Verdict.WARNING].glyph} warning, {b[Verdict.CRITICAL].glyph} critical, "
        f"{b[Verdict.DOWN].glyph} down or off, {b[Verdict.STALE].glyph} stale;\n"
        f"        {HANDLED_MARK} hosts whose problems are handled "
        f"(maintenance {MAINTENANCE_MARK}, acknowledged {ACK_MARK}).\n"
        "Console: Ctrl-] opens its menu. Power panel: o on, x off, y cycle."
    )


def soft_problem(health: HostHealth) -> Badge | None:
    """A check failing but not yet hard: the rack says so (a hollow glyph), instead of
    staying green until it is."""
    failing = [
        c for c in health.checks if c.current is not CheckState.OK and c.state is not c.current
    ]
    if not failing:
        return None
    worst = max(failing, key=lambda c: (c.current is CheckState.CRITICAL, c.fails))
    word = f"{worst.current.name.lower()} (soft, {worst.fails}x): {worst.name}"
    return Badge(SOFT_GLYPHS[worst.current], word, "soft")


def health_badge(health: HostHealth) -> Badge:
    """The badge for a host's live health; the word carries the detail where useful."""
    badge = HEALTH_BADGES[health.verdict]
    soft = soft_problem(health)
    if health.verdict is Verdict.OK and soft is not None:
        return soft
    if health.verdict is Verdict.BEHIND and health.message:
        return Badge(badge.glyph, health.message, badge.style)
    if health.reachability is Reachability.KEY_CHANGED:
        return Badge("✖", "host key changed", "critical")
    return badge
