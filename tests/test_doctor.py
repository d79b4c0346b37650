"""`lautre-tui doctor` against the lab: what is right says OK, what is wrong says how
to fix it, and the exit code is the worst finding."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def doctor(cli: list[str], env: dict[str, str], layout: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*cli, "doctor", "--layout", str(layout)],
        env=dict(env, TERM="xterm-256color"),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_lab_is_healthy(lab_process: Path, cli: list[str], cli_env: dict[str, str]) -> None:
    state = Path(cli_env["XDG_STATE_HOME"]) / "lautre-tui"
    state.mkdir(parents=True, mode=0o770)
    done = doctor(cli, cli_env, lab_process / "layout.yaml")
    assert done.returncode == 0, done.stdout
    assert "FAIL" not in done.stdout and "every SSH host has a known_hosts entry" in done.stdout
    assert "strip apc's card answers" in done.stdout
    assert "console server console answers" in done.stdout


def test_a_broken_key_an_open_password_file_and_no_state_folder(
    lab_process: Path, cli: list[str], cli_env: dict[str, str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken_key"
    broken.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n")
    secret = lab_process / "apc.secret"
    os.chmod(secret, 0o644)
    text = (lab_process / "layout.yaml").read_text()
    layout = tmp_path / "layout.yaml"
    layout.write_text(
        text.replace("client_keys:\n  - id_ed25519", f"client_keys:\n  - {broken}")
        .replace("known_hosts: known_hosts", f"known_hosts: {lab_process / 'known_hosts'}")
        .replace("password_file: apc.secret", f"password_file: {secret}")
    )
    done = doctor(cli, cli_env, layout)
    assert done.returncode == 2, done.stdout
    lines = done.stdout.splitlines()
    assert any(line.startswith("FAIL  client key") for line in lines), done.stdout
    assert any("readable by every user" in line and line.startswith("WARN") for line in lines)
    assert any("does not exist yet" in line and line.startswith("WARN") for line in lines)
