"""How a device's state is shown: a glyph and a word as well as a colour, so that
meaning survives a monochrome terminal or a colour-blind admin."""

from __future__ import annotations

from dataclasses import dataclass

from lautre_tui.model.layout import Device, Lifecycle


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
