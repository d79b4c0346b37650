"""Shared fixtures. Tests talk to real servers on 127.0.0.1, never to fakes of our I/O."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from lautre_tui.lab.runner import Lab
from lautre_tui.model.icinga_config import export_icinga2
from lautre_tui.model.layout import Layout
from lautre_tui.model.loader import load_layout
from tests.icinga_helpers import LAUTRE_TUI, Icinga, make_pki
from tests.lab_helpers import lab_command, lab_layout

REPO = Path(__file__).resolve().parent.parent
LAUTRE_LAYOUT = REPO / "layouts" / "lautre.yaml"


def lautre() -> Layout:
    """L'Autre Net's shipped layout, loaded."""
    layout = load_layout(LAUTRE_LAYOUT).layout
    assert layout is not None
    return layout


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for running `python -m lautre_tui` from this checkout, with its
    state and config kept inside the test's folder."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    env.pop("LAUTRE_TUI_LAYOUT", None)
    env.pop("LAUTRE_TUI_STATE_DIR", None)
    return env


@pytest.fixture
def cli() -> list[str]:
    """The command line that runs this checkout's `lautre-tui`."""
    return [sys.executable, "-m", "lautre_tui"]


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep transcripts, audit logs and user layouts of tests out of the real home."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("LAUTRE_TUI_LAYOUT", raising=False)
    monkeypatch.delenv("LAUTRE_TUI_STATE_DIR", raising=False)


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[Lab]:
    """A whole lab (SSH hosts, console server, APC strip) on 127.0.0.1, in this test's
    event loop, with quick boots; faults and outlets through `lab.world`."""
    async with Lab(tmp_path / "lab", boot_seconds=0.5) as running:
        yield running


@pytest.fixture
def lab_process(tmp_path: Path, cli: list[str], cli_env: dict[str, str]) -> Iterator[Path]:
    """`lautre-tui lab --dir` as a separate process (for CLI tests); yields its folder,
    with `layout.yaml` ready, and stops it afterwards."""
    directory = tmp_path / "lab"
    with lab_command(cli, cli_env, directory):
        yield directory


@pytest.fixture(scope="session")
def icinga_pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An Icinga 2 CA and node certificate (`icinga2 pki`), made once per session:
    RSA 4096 keys take long on a busy machine. Each daemon copies them."""
    return make_pki(tmp_path_factory.mktemp("icinga-pki"))


@pytest.fixture
async def icinga(lab: Lab, tmp_path: Path, icinga_pki: Path) -> AsyncIterator[Icinga]:
    """A daemon checking the lab's export (checks run `lautre-tui check`), every 10
    minutes: the tests ask for the checks they need (`poll_now`), so that 66 check
    processes every 10 s do not take the machine's two cores."""
    layout = lab_layout(lab)
    quiet = replace(layout, poll=replace(layout.poll, interval=600))
    daemon = Icinga(tmp_path / "icinga", icinga_pki)
    daemon.load(export_icinga2(quiet, str(lab.layout_path), LAUTRE_TUI))
    await asyncio.to_thread(daemon.start)
    try:
        yield daemon
    finally:
        await asyncio.to_thread(daemon.close)
