"""Layers kept honest at run time: what each entry point really imports.

import-linter (scripts/test.sh) checks the static imports; this checks that lazy
imports stay lazy, so that `validate` and the model never pay for Textual or
asyncssh and a bastion's start-up stays quick.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO

HEAVY = ("textual", "asyncssh", "serial", "pyte")


def imported_after(code: str) -> set[str]:
    script = f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO
    )
    return {name.split(".")[0] for name in done.stdout.split()}


@pytest.mark.parametrize(
    "code",
    [
        "import lautre_tui.model.loader, lautre_tui.model.validate, lautre_tui.model.topology",
        "from lautre_tui.cli import main\n"
        "try:\n    main(['validate', 'layouts/lautre.yaml'])\nexcept SystemExit:\n    pass",
        "from lautre_tui.cli import build_parser\nbuild_parser()",
    ],
)
def test_model_and_cli_parsing_import_no_heavy_library(code: str) -> None:
    loaded = imported_after(code)
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_the_app_paints_before_asyncssh_is_imported() -> None:
    """Building the app (what happens before the first paint) loads no SSH or serial
    library: they come with the services, after the rack is on screen."""
    loaded = imported_after(
        "from pathlib import Path\n"
        "from lautre_tui.cli.tui import build_app\n"
        "from lautre_tui.model.loader import load_layout\n"
        "layout = load_layout('layouts/lautre.yaml').layout\n"
        "build_app(layout, Path('layouts/lautre.yaml'))"
    )
    assert "textual" in loaded
    assert not loaded & {"asyncssh", "serial", "pyte"}
