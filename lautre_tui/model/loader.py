"""Read a layout file into `Layout`, keeping the line and column of every value.

PyYAML's composer gives nodes with marks; we walk them ourselves instead of
`safe_load` so that every error can say `FILE:LINE:COL`, so that duplicate keys
are caught (PyYAML keeps the last one silently), and so that one bad device does
not hide the others: errors are collected and the rest is still built. This
module reads the file and the YAML; `model.sections` builds each section.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from lautre_tui.model.errors import LayoutError, Position
from lautre_tui.model.layout_file import MAX_LAYOUT_BYTES, LoadResult, read_text_file, unreadable
from lautre_tui.model.reader import Reader
from lautre_tui.model.sections import build_layout
from lautre_tui.model.validate import layout_warnings, validate_layout

# libyaml's parser keeps marks too and is several times faster: start-up matters.
SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_layout(text: str, file: str, base_dir: Path) -> LoadResult:
    """Build a layout from YAML text; `file` names it in errors."""
    try:
        loader = SafeLoader(text)
        root = loader.get_single_node()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = getattr(error, "problem", None) or str(error)
        return LoadResult(
            None, [LayoutError(Position(file, line, col), f"not valid YAML: {problem}")]
        )
    try:
        return _result(Reader(file, base_dir, loader), root)
    finally:
        loader.dispose()


def _result(reader: Reader, root: yaml.Node | None) -> LoadResult:
    if root is None:
        return LoadResult(None, [LayoutError(Position(reader.file, 1, 1), "the layout is empty")])
    layout = build_layout(reader, root)
    if layout is None:
        return LoadResult(None, reader.errors)
    # a YAML alias (`*checks`) reads one node for several devices: each error once
    return LoadResult(layout, list(dict.fromkeys(reader.errors)), frozenset(reader.broken))


def load_layout(path: str | Path, *, check: bool = True) -> LoadResult:
    """Read and parse the layout at `path`; with `check`, validate it as a whole too.

    Never raises for bad input: a missing file or bad YAML is an error in the result.
    """
    file = str(path)
    try:
        text = read_text_file(Path(path))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return unreadable(file, error)
    return load_text(text, file, check=check)


def load_text(text: str, file: str, *, check: bool = True) -> LoadResult:
    """`load_layout` for the text already read from the file named `file`."""
    result = parse_layout(text, file, Path(file).expanduser().resolve().parent)
    if check and result.layout is not None:
        errors = result.errors + validate_layout(result.layout, result.broken)
        errors.sort(key=lambda error: (error.position.line, error.position.col))
        return LoadResult(
            result.layout, errors, result.broken, tuple(layout_warnings(result.layout))
        )
    return result


__all__ = [
    "MAX_LAYOUT_BYTES",
    "LoadResult",
    "SafeLoader",
    "load_layout",
    "load_text",
    "parse_layout",
    "read_text_file",
]
