"""Rewrite what is derived from the layout's key declarations: the key tables of
`docs/layout.md` and `layouts/layout.schema.json`. Run after adding a key; the
suite fails (tests/test_schema.py, tests/test_layout_docs.py) while they differ."""

from __future__ import annotations

from pathlib import Path

from lautre_tui.model.schema_docs import render_docs
from lautre_tui.model.schema_json import SCHEMA_FILE, schema_text

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs" / "layout.md"
SCHEMA = REPO / "layouts" / SCHEMA_FILE


def main() -> None:
    DOCS.write_text(render_docs(DOCS.read_text(encoding="utf-8")), encoding="utf-8")
    SCHEMA.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {DOCS.relative_to(REPO)} and {SCHEMA.relative_to(REPO)}")


if __name__ == "__main__":
    main()
