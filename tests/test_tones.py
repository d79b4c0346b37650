"""Colours come from the running theme: switch it, and the pane's states are drawn
in the new theme's colours (no colour name is written in a widget)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rich.console import Group, RenderableType
from rich.text import Text
from textual.widgets import Static

from lautre_tui.cli.tui import build_app
from lautre_tui.ui.tones import TONES, tones_of
from tests.conftest import lautre
from tests.lab_helpers import eventually
from tests.test_snapshots import ella_failing

ATTRIBUTES = {"bold", "italic", "dim", "reverse", "on"}


def texts(renderable: RenderableType | object) -> Iterator[Text]:
    if isinstance(renderable, Text):
        yield renderable
    elif isinstance(renderable, Group):
        for part in renderable.renderables:
            yield from texts(part)


def test_every_tone_is_made_of_theme_variables_and_attributes() -> None:
    for tone, spec in TONES.items():
        for word in spec.split():
            assert word.startswith("$") or word in ATTRIBUTES, (tone, word)


async def test_the_pane_follows_the_theme() -> None:
    app = build_app(lautre(), Path("layouts/lautre.yaml"), poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await ella_failing(pilot)
        info = app.screen.query_one("#device-info", Static)

        def glyph_style() -> str:
            """The style of the failing check's glyph, as drawn now."""
            line = next(t for t in texts(info.content) if "apache2 is not running" in t.plain)
            return str(line.spans[0].style)

        dark = app.get_css_variables()["error"]
        assert dark.casefold() in glyph_style().casefold()
        app.theme = "gruvbox"
        other = app.get_css_variables()["error"]
        assert other != dark
        await eventually(lambda: other.casefold() in glyph_style().casefold())


async def test_every_theme_gives_usable_tones_the_ansi_ones_included() -> None:
    app = build_app(lautre(), Path("layouts/lautre.yaml"), poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        for theme in app.available_themes:
            app.theme = theme  # the pane and the header redraw in its tones
            await pilot.pause()
            assert app.is_running, theme
        app.theme = "ansi-dark"
        await pilot.pause()
        assert "red" in tones_of(app.screen)["critical"]  # the terminal's own red
