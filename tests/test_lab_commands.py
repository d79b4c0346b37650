"""`lautre-tui lab --dir` and `lautre-tui demo` start and stop cleanly, as processes."""

from __future__ import annotations

import os
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lautre_tui.lab.control import send
from lautre_tui.model.loader import load_layout
from tests.conftest import lautre
from tests.console_helpers import under_pty
from tests.lab_helpers import lab_command, port_refuses

WAIT = 60.0


def processes_mentioning(text: str) -> list[int]:
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if text in cmdline and entry.name != str(os.getpid()):
                found.append(int(entry.name))
    return found


def test_lab_command_writes_its_files_and_exits_cleanly(
    tmp_path: Path, cli: list[str], cli_env: dict[str, str]
) -> None:
    directory = tmp_path / "lab"
    with lab_command(cli, cli_env, directory, "--seed", "7") as lab:
        for name in ("layout.yaml", "known_hosts", "id_ed25519", "id_ed25519.pub", "apc.secret"):
            assert (directory / name).is_file(), name
        assert oct((directory / "id_ed25519").stat().st_mode & 0o777) == "0o600"
        result = load_layout(directory / "layout.yaml")
        assert result.errors == [] and result.layout is not None
        layout = result.layout
        assert set(layout.devices) == set(lautre().devices)
        ports = [
            layout.ssh_for(d).port for d in layout.devices.values() if d.kind.value == "server"
        ]
        ports.append(layout.pdus["apc"].port)
        assert not port_refuses(layout.pdus["apc"].port)
        assert send(directory, "fault refused emma").startswith("ok")
        assert send(directory, "outlet apc 8 off") == "ok outlet 8 of apc off"
        lab.send_signal(signal.SIGTERM)
        assert lab.wait(WAIT) == 0
    assert all(port_refuses(port) for port in ports if port)
    assert not (directory / "control.sock").exists()


def test_lab_holds_many_generated_hosts(
    tmp_path: Path, cli: list[str], cli_env: dict[str, str]
) -> None:
    directory = tmp_path / "lab"
    with lab_command(cli, cli_env, directory, "--hosts", "60") as lab:
        layout = load_layout(directory / "layout.yaml").layout
        assert layout is not None
        assert len(layout.devices) == 17 + 60
        assert [rack.name for rack in layout.racks] == ["baie-1", "baie-gen-1", "baie-gen-2"]
        lab.send_signal(signal.SIGINT)
        assert lab.wait(WAIT) == 0


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A temporary folder with a short path: the demo's lab puts its control socket in
    it, and an AF_UNIX path is at most 107 bytes (pytest-xdist's tmp_path is long)."""
    with tempfile.TemporaryDirectory(prefix="lt-") as folder:
        yield Path(folder)


def test_demo_runs_the_app_on_the_lab_and_leaves_nothing_behind(
    short_tmp: Path, cli: list[str], cli_env: dict[str, str]
) -> None:
    tmp_path = short_tmp
    env = dict(cli_env, TMPDIR=str(tmp_path), TERM="xterm-256color", COLUMNS="80", LINES="24")
    with under_pty([*cli, "demo"], env) as demo:
        # the lab's layout, its strip, and the fault key, whole in the footer at 80 columns
        demo.expect(b"(lab)", b"apc", b"Fault")
        assert processes_mentioning(str(tmp_path))  # the lab runs, in our temporary folder
        demo.write(b"q")
        assert demo.process.wait(WAIT) == 0
    deadline = time.monotonic() + 15
    while processes_mentioning(str(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_mentioning(str(tmp_path)) == []
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("lautre-tui-demo")] == []
