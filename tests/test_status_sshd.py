"""`lautre-tui status` through a real OpenSSH sshd on 127.0.0.1: the probe runs in
the real /bin/sh of this machine, behind real host key checking."""

from __future__ import annotations

import getpass
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SSHD = "/usr/sbin/sshd"


@dataclass
class Sshd:
    port: int
    known_hosts: Path
    client_key: Path
    user: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[Sshd]:
    if not os.path.exists(SSHD):
        pytest.skip("OpenSSH sshd is not installed (scripts/test.sh installs openssh-server)")
    folder = tmp_path / "sshd"
    folder.mkdir()
    for name in ("host", "client"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / name)], check=True
        )
    (folder / "authorized_keys").write_text((folder / "client.pub").read_text())
    port = free_port()
    config = folder / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder / 'host'}\n"
        f"AuthorizedKeysFile {folder / 'authorized_keys'}\nStrictModes no\n"
        f"PidFile {folder / 'sshd.pid'}\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nUsePAM no\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True)  # privilege separation directory
    process = subprocess.Popen(
        [SSHD, "-D", "-e", "-f", str(config)], stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(
                    f"sshd did not start: {process.stderr.read() if process.stderr else ''}"
                )
            time.sleep(0.05)
    host_key = (folder / "host.pub").read_text().split()
    known_hosts = folder / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {host_key[0]} {host_key[1]}\n")
    yield Sshd(port, known_hosts, folder / "client", getpass.getuser())
    process.terminate()
    process.wait(10)


def layout_for(sshd: Sshd, tmp_path: Path, checks: str) -> Path:
    path = tmp_path / "local.yaml"
    path.write_text(f"""\
site: loopback
ssh: {{user: {sshd.user}, known_hosts: {sshd.known_hosts}, client_keys: [{sshd.client_key}]}}
racks: [{{name: r, height: 4}}]
devices:
  local:
    rack: r
    u: 1
    kind: server
    state: production
    ssh: {{host: 127.0.0.1, port: {sshd.port}}}
    services:
{checks}
""")
    return path


def status(cli: list[str], env: dict[str, str], layout: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*cli, "status", "--json", "--layout", str(layout)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_status_json_through_a_real_sshd(
    sshd: Sshd, tmp_path: Path, cli: list[str], cli_env: dict[str, str]
) -> None:
    layout = layout_for(
        sshd,
        tmp_path,
        f"""\
      - {{name: sshd, process: sshd, port: {sshd.port}}}
      - {{name: root, mount: /}}
      - {{name: shell, file: /bin/sh}}
""",
    )
    done = status(cli, cli_env, layout)
    assert done.returncode == 0, done.stdout + done.stderr
    [local] = json.loads(done.stdout)
    assert local["state"] == "ok" and local["reachability"] == "up"
    assert [c["state"] for c in local["checks"]] == ["OK", "OK", "OK"]
    assert local["figures"]["uptime"] > 0 and "/" in local["figures"]["disks"]


def test_a_failing_check_gives_exit_2(
    sshd: Sshd, tmp_path: Path, cli: list[str], cli_env: dict[str, str]
) -> None:
    layout = layout_for(sshd, tmp_path, "      - {name: ghost, process: ltp-ghost-daemon}\n")
    done = status(cli, cli_env, layout)
    assert done.returncode == 2
    [local] = json.loads(done.stdout)
    assert local["checks"][0]["output"] == "process ltp-ghost-daemon not running"


def test_an_unknown_host_key_is_refused(
    sshd: Sshd, tmp_path: Path, cli: list[str], cli_env: dict[str, str]
) -> None:
    other = tmp_path / "other_known_hosts"
    other.write_text("")
    layout = layout_for(sshd, tmp_path, "      - {name: sh, file: /bin/sh}\n")
    layout.write_text(layout.read_text().replace(str(sshd.known_hosts), str(other)))
    done = status(cli, cli_env, layout)
    assert done.returncode == 2
    [local] = json.loads(done.stdout)
    assert local["state"] == "down"
    assert "not in known_hosts" in local["message"]


@pytest.fixture(autouse=True)
def _needs_ssh_keygen() -> None:
    if shutil.which("ssh-keygen") is None:
        pytest.skip("ssh-keygen is not installed (scripts/test.sh installs openssh-client)")
