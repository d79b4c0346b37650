"""A real Icinga 2 daemon for the tests: Debian's `icinga2` as a child process in a
temp folder (its own config, data, log, run folders and PKI), its API on a free
loopback port with an ApiUser, checking the objects `export icinga2` wrote.

Waits are on events (the API answers), never on a fixed sleep.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from base64 import b64encode
from pathlib import Path

import pytest

from lautre_tui.lab.runner import Lab
from lautre_tui.model.layout import Layout
from lautre_tui.model.loader import load_layout
from tests.lab_helpers import WAIT

ICINGA2 = shutil.which("icinga2") or "/usr/sbin/icinga2"
PLUGINS = Path("/usr/lib/nagios/plugins")
NODE = "localhost"  # the certificate's name: the API's URL says https://localhost:PORT
USER, PASSWORD = "lautre", "s3cret-for-tests"
LAUTRE_TUI = str(Path(sys.executable).with_name("lautre-tui"))

needs_icinga = pytest.mark.skipif(
    not Path(ICINGA2).exists() or not (PLUGINS / "check_tcp").exists(),
    reason="icinga2 or the monitoring plugins are not installed "
    "(apt-get install icinga2-bin monitoring-plugins-basic)",
)

MAIN_CONF = """\
const PluginDir = "{plugins}"
const NodeName = "{node}"
const ZoneName = "master"
const TicketSalt = ""
include <itl>
include <plugins>
object Endpoint NodeName {{}}
object Zone ZoneName {{ endpoints = [ NodeName ] }}
object ApiListener "api" {{
  bind_host = "127.0.0.1"
  bind_port = {port}
}}
object ApiUser "{user}" {{
  password = "{password}"
  permissions = [ "*" ]
}}
object CheckerComponent "checker" {{}}
include "lautre-tui.conf"
"""


def held_port() -> socket.socket:
    """A free port, held for as long as the daemon may use it: a socket bound there
    (SO_REUSEADDR, never listening) keeps other processes' port 0 off it before the
    daemon starts and while it is killed and started again, and lets icinga2 (which
    binds with SO_REUSEADDR too) listen on it. Picked and let go, another test worker
    took it now and then."""
    hold = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    hold.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    hold.bind(("127.0.0.1", 0))
    return hold


class Icinga:
    """One daemon's folder and process; `start()`, `kill()`, `start()` again."""

    def __init__(self, root: Path, pki: Path) -> None:
        self.root = root
        self._hold = held_port()
        self.port: int = self._hold.getsockname()[1]
        self.url = f"https://{NODE}:{self.port}"
        self.conf = root / "etc" / "icinga2.conf"
        self.ca_file = root / "data" / "certs" / "ca.crt"
        self.password_file = root / "password"
        self.process: subprocess.Popen[bytes] | None = None
        for folder in ("etc", "log", "cache", "spool", "run", "pki"):
            (root / folder).mkdir(parents=True, exist_ok=True)
        shutil.copytree(pki, root / "data")
        self.password_file.write_text(PASSWORD + "\n", encoding="utf-8")
        self.conf.write_text(
            MAIN_CONF.format(
                plugins=PLUGINS, node=NODE, port=self.port, user=USER, password=PASSWORD
            ),
            encoding="utf-8",
        )

    def defines(self) -> list[str]:
        return defines(self.root)

    def load(self, config: str) -> None:
        """The objects the daemon checks (what `export icinga2` wrote)."""
        (self.root / "etc" / "lautre-tui.conf").write_text(config, encoding="utf-8")

    def validate(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [ICINGA2, "daemon", "-C", "-c", str(self.conf), *self.defines()],
            capture_output=True,
            text=True,
            timeout=120,
        )

    def start(self) -> None:
        """Start the daemon and wait until its API answers an authenticated request."""
        log = (self.root / "log" / "daemon.out").open("ab")
        self.process = subprocess.Popen(
            [ICINGA2, "daemon", "-c", str(self.conf), *self.defines()],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its umbrella process and the daemon it forks: one group
        )
        log.close()
        deadline = time.monotonic() + 5 * WAIT  # a busy machine starts it slowly
        while not self.answers():
            code = self.process.poll()
            assert code is None, f"icinga2 exited ({code}): {self.log_tail()}"
            assert time.monotonic() < deadline, f"the API never answered: {self.log_tail()}"
            time.sleep(0.1)

    def answers(self) -> bool:
        try:
            self.get("/v1/status/IcingaApplication")
        except (OSError, urllib.error.URLError):
            return False
        return True

    def get(self, path: str) -> bytes:
        """A request as the ApiUser, TLS verified against the test CA."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        request = urllib.request.Request(self.url + path, headers=_auth())
        with urllib.request.urlopen(request, context=context, timeout=5) as answer:
            body: bytes = answer.read()
            return body

    def post(self, path: str, body: bytes) -> bytes:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        headers = {**_auth(), "Accept": "application/json", "Content-Type": "application/json"}
        request = urllib.request.Request(self.url + path, data=body, headers=headers)
        with urllib.request.urlopen(request, context=context, timeout=10) as answer:
            result: bytes = answer.read()
            return result

    def kill(self) -> None:
        """SIGKILL to the daemon's process group (the umbrella and the daemon it forks).
        Also how a test's daemon ends: its folder is thrown away, and a graceful
        SIGTERM could take icinga2 over 30 s while checks still run (seen in CI)."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)
        self.process = None

    def close(self) -> None:
        """Killed, and its port let go: the daemon is done with."""
        self.kill()
        self._hold.close()

    def log_tail(self) -> str:
        path = self.root / "log" / "daemon.out"
        text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        return text[-3000:]

    def layout_fragment(self) -> str:
        """The `status_source:` key of a layout that reads from this daemon."""
        return (
            "status_source:\n"
            "  icinga2:\n"
            f"    url: {self.url}\n"
            f"    user: {USER}\n"
            f"    password_file: {self.password_file}\n"
            f"    ca_file: {self.ca_file}\n"
        )


def reading_layout(lab: Lab, fragment: str) -> tuple[Path, Layout]:
    """The lab's layout with a `status_source:` key, next to it (its relative paths hold)."""
    path = lab.layout_path.with_name("icinga-layout.yaml")
    path.write_text(fragment + lab.layout_path.read_text(encoding="utf-8"), encoding="utf-8")
    result = load_layout(path)
    assert result.errors == [] and result.layout is not None
    return path, result.layout


def defines(root: Path) -> list[str]:
    """The daemon's folders, all under `root`, and our own user to run as."""
    folders = {
        "ConfigDir": "etc",
        "DataDir": "data",
        "LogDir": "log",
        "CacheDir": "cache",
        "SpoolDir": "spool",
        "InitRunDir": "run",
        "PkiDir": "pki",
    }
    user = ["-DRunAsUser=" + _user(), "-DRunAsGroup=" + _group()]
    return [f"-D{name}={root / folder}" for name, folder in folders.items()] + user


def make_pki(root: Path) -> Path:
    """A CA (`pki new-ca`, under DataDir/ca) and the node's certificate signed by it
    where the ApiListener looks for them (DataDir/certs); returns that DataDir.
    RSA 4096 keys take seconds on a busy machine: made once per test session."""
    data = root / "data"
    certs = data / "certs"
    certs.mkdir(parents=True)

    def icinga(*arguments: str) -> None:
        subprocess.run(
            [ICINGA2, *arguments, *defines(root)],
            capture_output=True,
            check=True,
            timeout=600,
        )

    icinga("pki", "new-ca")
    key, csr, crt = (certs / f"{NODE}.{ext}" for ext in ("key", "csr", "crt"))
    icinga("pki", "new-cert", "--cn", NODE, "--key", str(key), "--csr", str(csr))
    icinga("pki", "sign-csr", "--csr", str(csr), "--cert", str(crt))
    shutil.copy(data / "ca" / "ca.crt", certs / "ca.crt")
    return data


def _auth() -> dict[str, str]:
    token = b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _user() -> str:
    return pwd.getpwuid(os.getuid()).pw_name


def _group() -> str:
    return grp.getgrgid(os.getgid()).gr_name
