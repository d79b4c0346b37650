"""Which layout the app loads, and what it says when it cannot."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from lautre_tui.locations import find_layout, shipped_layout
from tests.conftest import LAUTRE_LAYOUT


def test_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert find_layout(None) == shipped_layout()
    assert shipped_layout().read_text() == LAUTRE_LAYOUT.read_text()
    user = tmp_path / "config" / "lautre-tui" / "layout.yaml"
    user.parent.mkdir(parents=True)
    user.write_text("site: mine\n")
    assert find_layout(None) == user
    monkeypatch.setenv("LAUTRE_TUI_LAYOUT", str(tmp_path / "env.yaml"))
    assert find_layout(None) == tmp_path / "env.yaml"
    assert find_layout(str(tmp_path / "explicit.yaml")) == tmp_path / "explicit.yaml"


def test_the_app_refuses_a_layout_it_cannot_show(
    tmp_path: Path, cli: list[str], cli_env: dict[str, str]
) -> None:
    missing = tmp_path / "missing.yaml"
    done = subprocess.run(
        [*cli, "--layout", str(missing)], capture_output=True, text=True, env=cli_env, check=False
    )
    assert done.returncode == 1
    assert f"{missing}:1:1: cannot read: No such file or directory" in done.stderr
    assert f"{missing} has errors: fix them first" in done.stderr
    assert "Traceback" not in done.stderr
