"""Colours by meaning, taken from the running Textual theme.

Widgets never name a colour: they ask for a tone ("critical", "ok", …) and get a
Rich style made from the theme's variables (`$error`, `$success`, `$warning` …),
so that every theme looks right, and `NO_COLOR` (Textual strips colours) leaves
the bold, italic and dim that, with the glyphs, carry the meaning without colour.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.errors import StyleSyntaxError
from rich.style import Style
from textual.dom import DOMNode

from lautre_tui.model.probe_format import CheckState

TONES: Mapping[str, str] = {
    "ok": "$success",
    "warning": "$warning",
    "critical": "bold $error",
    "down": "$error",
    "stale": "$warning",
    "unknown": "$text-secondary",
    "soft": "italic $warning",
    "handled": "$text-accent",
    "note": "bold $text-warning",
    "muted": "dim",
    "done": "bold $success",
    "failed": "bold $error",
    "busy": "$text-warning",
    "match": "$background on $warning",  # a search match in the console's scrollback
    "banner": "bold $foreground on $primary",  # the console's scroll-mode status line
}

ATTRIBUTES = frozenset({"bold", "italic", "dim", "reverse", "underline"})

CHECK_TONES: Mapping[CheckState, str] = {
    CheckState.OK: "ok",
    CheckState.WARNING: "warning",
    CheckState.CRITICAL: "critical",
    CheckState.UNKNOWN: "unknown",
}


def _colour(value: str) -> str:
    """A theme's colour as Rich writes it: the ANSI themes say `ansi_red`, Rich `red`."""
    return value.removeprefix("ansi_")


def _usable(style: str) -> str:
    """The style, or its attributes alone if a theme gives a colour Rich cannot read:
    a theme never takes the app down."""
    try:
        Style.parse(style)
    except StyleSyntaxError:
        return " ".join(word for word in style.split() if word in ATTRIBUTES)
    return style


class Tones:
    """Each tone as a Rich style string, for one theme's variables."""

    def __init__(self, variables: Mapping[str, str]) -> None:
        self._styles = {
            name: _usable(
                " ".join(
                    _colour(variables.get(word[1:], "")) if word.startswith("$") else word
                    for word in spec.split()
                ).strip()
            )
            for name, spec in TONES.items()
        }
        self._rich = {name: Style.parse(style) for name, style in self._styles.items()}

    def __getitem__(self, tone: str) -> str:
        return self._styles[tone]

    def rich(self, tone: str) -> Style:
        """The tone as a Rich `Style`, for segments drawn line by line."""
        return self._rich[tone]

    def check(self, state: CheckState) -> str:
        return self._styles[CHECK_TONES[state]]


_BY_THEME: dict[str, Tones] = {}


def tones_of(node: DOMNode) -> Tones:
    """The tones of the theme `node`'s app runs now. Computing a theme's variables
    takes about 30 ms, so each theme's tones are made once."""
    app = node.app
    if app.theme not in _BY_THEME:
        _BY_THEME[app.theme] = Tones(app.get_css_variables())
    return _BY_THEME[app.theme]
