"""The key tables of `docs/layout.md`, derived from the key declarations.

The docs are hand-written prose around generated tables: each table sits between
`<!-- keys SECTION -->` and `<!-- /keys -->` (SECTION is the dataclass of
`model.layout`), and `render_docs()` rewrites what is between them, so that the
docs cannot say a key, a bound or a default the loader does not.
"""

from __future__ import annotations

import re

from lautre_tui.model.durations import format_duration
from lautre_tui.model.layout import Layout
from lautre_tui.model.schema import YEAR, Kind, Spec, describe, key_names, keys, sections

BLOCK = re.compile(r"(<!-- keys (\w+) -->\n)(.*?)(<!-- /keys -->)", re.DOTALL)
MAX_SPELLED = 6  # a mapping of more keys has its own table
HEADER = "| key | required | value | meaning |\n| --- | --- | --- | --- |\n"


class DocsError(ValueError):
    """A marker names no declared section."""


def render_docs(text: str) -> str:
    """`text` with every marked table regenerated from the declarations."""
    by_name = {cls.__name__: cls for cls in sections(Layout)}

    def table(match: re.Match[str]) -> str:
        cls = by_name.get(match.group(2))
        if cls is None:
            raise DocsError(f"<!-- keys {match.group(2)} -->: no such section")
        return match.group(1) + render_table(cls) + match.group(4)

    return BLOCK.sub(table, text)


def documented(text: str) -> set[str]:
    """The sections that `text` has a table for."""
    return {match.group(2) for match in BLOCK.finditer(text)}


def render_table(cls: type) -> str:
    rows = [
        f"| `{name}` | {'yes' if key.spec.required else 'no'} | {_cell(value_words(key.spec))} "
        f"| {_cell(describe(key))} |\n"
        for name, key in keys(cls).items()
    ]
    return HEADER + "".join(rows)


def value_words(spec: Spec) -> str:
    """What a key holds, in a few words: `whole number 1–65535`, `duration ≤ 1d`."""
    kind = spec.kind
    if spec.values:
        return "one of " + ", ".join(f"`{value}`" for value in spec.values)
    if kind is Kind.TEXT:
        return "URL" if spec.pattern else "text"
    if kind is Kind.HOST:
        return "host name or address"
    if kind is Kind.PATH:
        return "path"
    if kind in (Kind.INTEGER, Kind.NUMBER):
        words = "whole number" if kind is Kind.INTEGER else "number"
        if spec.low is None or spec.high is None:
            return words
        return f"{words} {spec.low:g}–{spec.high:g}"
    if kind is Kind.BOOLEAN:
        return "`true` or `false`"
    if kind is Kind.DURATION:
        if (spec.low or 0) == 0 and spec.high == YEAR:
            return "duration"
        return f"duration {_seconds(spec.low or 0)}–{_seconds(spec.high or 0)}"
    if kind is Kind.PERCENT:
        return "percentage (`80%`)"
    if kind is Kind.CHOICE and spec.choices is not None:
        return ", ".join(f"`{member.value}`" for member in spec.choices)
    if kind is Kind.LIST and spec.item is not None:
        return "list of " + value_words(spec.item)
    if kind in (Kind.SECTION, Kind.NAMED) and spec.section is not None:
        names = key_names(spec.section)
        mapping = "`{" + ", ".join(names) + "}`" if len(names) <= MAX_SPELLED else "mapping"
        return mapping if kind is Kind.SECTION else f"`NAME:` {mapping}"
    raise TypeError(f"no words for {spec}")  # a declaration of a new kind


def _seconds(seconds: float) -> str:
    return f"{seconds:g}s" if seconds < 1 else format_duration(seconds)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
