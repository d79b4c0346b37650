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
    """The top-level packages loaded by `code`, run in a fresh interpreter."""
    return {name.split(".")[0] for name in imported_modules(code)}


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


def test_the_app_parses_its_command_line_without_the_other_commands() -> None:
    """`lautre-tui [--layout F]` loads no other sub-command's module (nor their
    imports); a command line naming one loads that one alone."""
    from lautre_tui.cli import COMMAND_NAMES, needed

    assert needed([]) == needed(["--layout", "maint", "--read-only"]) == ()
    assert needed(["--layout", "x.yaml", "maint", "list"]) == ("maint",)
    assert needed(["--help"]) == needed(["mant"]) == COMMAND_NAMES
    modules = imported_modules("from lautre_tui.cli import build_parser\nbuild_parser([])")
    others = {f"lautre_tui.cli.{name}" for name in COMMAND_NAMES} - {"lautre_tui.cli.tui"}
    assert not modules & others, modules & others


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
    assert not loaded & {"asyncssh", "serial", "pyte", "httpx"}


def test_the_console_command_needs_neither_the_poller_nor_ssh() -> None:
    """The emergency path must not depend on the status poller or on SSH."""
    modules = imported_modules(
        "import lautre_tui.cli.console, lautre_tui.ui.console_app, lautre_tui.services.console"
    )
    loaded = {name.split(".")[0] for name in modules}
    assert "serial" in loaded and "pyte" in loaded
    assert "asyncssh" not in loaded
    assert not {"lautre_tui.services.poller", "lautre_tui.services.power"} & modules


def imported_modules(code: str) -> set[str]:
    script = f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO
    )
    return set(done.stdout.split())
