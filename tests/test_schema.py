"""The layout's JSON Schema: derived from the declarations, carried by the
repository, named by the shipped layouts, and as strict as the loader on keys and
types (every case the loader refuses for a key or a type, the schema refuses)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from lautre_tui.lab.runner import Lab
from lautre_tui.model.key_checks import KEY_CHECKS
from lautre_tui.model.layout import Layout
from lautre_tui.model.loader import parse_layout
from lautre_tui.model.schema import Kind, keys, sections
from lautre_tui.model.schema_docs import DocsError, documented, render_docs
from lautre_tui.model.schema_json import SCHEMA_FILE, json_schema
from lautre_tui.model.sections import ITEMS, NAMED
from tests.conftest import REPO
from tests.layout_cases import GOOD, KEY_AND_TYPE_CASES, BadCase

SHIPPED = REPO / "layouts"
DOCS = REPO / "docs" / "layout.md"
MODELINE = f"# yaml-language-server: $schema={SCHEMA_FILE}\n"


def schema_errors(text: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(json_schema())
    return [error.message for error in validator.iter_errors(yaml.safe_load(text))]


def test_the_committed_schema_is_what_the_command_prints(
    cli: list[str], cli_env: dict[str, str]
) -> None:
    done = subprocess.run(
        [*cli, "schema"], capture_output=True, text=True, env=cli_env, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == (SHIPPED / SCHEMA_FILE).read_text(encoding="utf-8"), (
        "layouts/layout.schema.json is stale: run `python scripts/layout_docs.py`"
    )
    jsonschema.Draft202012Validator.check_schema(json_schema())


@pytest.mark.parametrize("path", sorted(SHIPPED.glob("*.yaml")), ids=lambda path: path.name)
def test_every_shipped_layout_names_the_schema_and_passes_it(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith(MODELINE)
    assert schema_errors(text) == []


async def test_the_labs_layout_passes_the_schema(lab: Lab) -> None:
    assert schema_errors(lab.layout_path.read_text(encoding="utf-8")) == []


def test_the_good_layout_passes_both() -> None:
    assert parse_layout(GOOD, "good.yaml", Path(".")).errors == []
    assert schema_errors(GOOD) == []


@pytest.mark.parametrize("case", KEY_AND_TYPE_CASES.values(), ids=list(KEY_AND_TYPE_CASES))
def test_what_the_loader_refuses_for_a_key_or_a_type_the_schema_refuses(case: BadCase) -> None:
    errors = [error.message for error in parse_layout(case.text, "bad.yaml", Path(".")).errors]
    assert any(case.error in error for error in errors), errors
    assert schema_errors(case.text) != []


def test_the_loader_reads_every_declared_section_and_check() -> None:
    """A declaration the loader has no builder or check for would be a key that
    loads as a traceback: every one is wired."""
    for cls in sections(Layout):
        for key in keys(cls).values():
            spec = key.spec.item if key.spec.kind is Kind.LIST and key.spec.item else key.spec
            if spec.kind is Kind.SECTION and key.spec.kind is Kind.LIST:
                assert spec.section in ITEMS  # other sections may be plain: no builder
            if spec.kind is Kind.NAMED:
                assert spec.section in NAMED
            if key.spec.check is not None:
                assert key.spec.check in KEY_CHECKS, key.name


def test_the_schema_describes_every_key_with_its_default() -> None:
    schema: dict[str, Any] = json_schema()
    pdu = schema["$defs"]["Pdu"]["properties"]
    assert pdu["port"]["default"] == 22
    assert pdu["poll_interval"]["description"].endswith("(default: `1m`)")
    assert schema["$defs"]["Device"]["required"] == ["rack", "u", "kind", "state"]


def test_the_docs_tables_are_the_declarations() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert render_docs(text) == text, "docs/layout.md is stale: run `python scripts/layout_docs.py`"
    assert documented(text) == {cls.__name__ for cls in sections(Layout)}


def test_a_changed_declaration_shows_in_the_docs() -> None:
    stale = "<!-- keys PowerLink -->\n| key |\n| `plug` | no | text | gone |\n<!-- /keys -->"
    rendered = render_docs(stale)
    assert "`plug`" not in rendered
    assert "| `outlet` | yes | whole number 1–96 | the outlet's number on it |" in rendered
    with pytest.raises(DocsError, match="Nothing"):
        render_docs("<!-- keys Nothing -->\n<!-- /keys -->")
