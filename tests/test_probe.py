"""The probe, run by real shells against real processes, ports, mounts and files;
and its parser, which never trusts garbage."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lautre_tui.backends.probe import probe_script
from lautre_tui.model.checks import Check, IpvsExpectation
from lautre_tui.model.probe_format import CheckState, parse_report

SHELLS = [
    pytest.param(["/bin/sh", "-s"], id="sh"),
    pytest.param(
        ["dash", "-s"],
        id="dash",
        marks=pytest.mark.skipif(not shutil.which("dash"), reason="dash not installed"),
    ),
    pytest.param(
        ["busybox", "sh", "-s"],
        id="busybox",
        marks=pytest.mark.skipif(not shutil.which("busybox"), reason="busybox not installed"),
    ),
    pytest.param(["bash", "--posix", "-s"], id="bash-posix"),
]


@pytest.fixture
def listener() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


@pytest.fixture
def sleeper(tmp_path: Path) -> Iterator[str]:
    """A real process with a name of our own (a copy of sleep)."""
    binary = tmp_path / "ltp-sleeper"
    shutil.copy(shutil.which("sleep") or "/bin/sleep", binary)
    process = subprocess.Popen([str(binary), "60"])
    comm = Path(f"/proc/{process.pid}/comm")
    deadline = time.monotonic() + 10
    while comm.read_text().strip() != binary.name:  # until the exec is done
        assert time.monotonic() < deadline, comm.read_text()
        time.sleep(0.005)
    yield binary.name
    process.kill()
    process.wait()


def run(shell: list[str], checks: list[Check]) -> dict[str, tuple[CheckState, str]]:
    done = subprocess.run(
        shell, input=probe_script(checks), capture_output=True, text=True, timeout=60, check=False
    )
    report = parse_report(done.stdout, len(checks))
    assert report.error is None, (report.error, done.stderr)
    return {checks[i].name: (r.state, r.output) for i, r in report.results.items()}


@pytest.mark.parametrize("shell", SHELLS)
def test_probe_against_real_processes_ports_mounts_and_files(
    shell: list[str], tmp_path: Path, listener: int, sleeper: str
) -> None:
    fresh = tmp_path / "fresh"
    fresh.write_text("state MASTER\n")
    old = tmp_path / "old"
    old.write_text("x")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    free_port = socket.socket()
    free_port.bind(("127.0.0.1", 0))
    unused = free_port.getsockname()[1]
    free_port.close()
    checks = [
        Check("proc", process=sleeper),
        Check("noproc", process="ltp-no-such-process"),
        Check("port", port=listener),
        Check("noport", port=unused),
        Check("root", mount="/"),
        Check("wrongfs", mount="/", fstype="nfs"),
        Check("nomount", mount="/ltp/not/mounted"),
        Check("fresh", file=str(fresh), max_age=3600, contains="MASTER"),
        Check("stale", file=str(old), max_age=3600),
        Check("missing", file=str(tmp_path / "missing")),
        Check("lacks", file=str(fresh), contains="BACKUP"),
        Check("plugin-ok", command="echo all good; exit 0"),
        Check("plugin-warn", command="echo disk 91%; exit 1"),
        Check("plugin-crit", command="echo down; exit 2"),
        Check("plugin-odd", command="exit 7"),
        Check("ipvs", ipvs=IpvsExpectation("0.0.0.0:80", 1)),
        Check("md", mdstat=True),
    ]
    states = run(shell, checks)
    ok = CheckState.OK
    crit = CheckState.CRITICAL
    assert states["proc"][0] is ok
    assert states["noproc"] == (crit, "process ltp-no-such-process not running")
    assert states["port"][0] is ok
    assert states["noport"] == (crit, f"nothing listens on port {unused}")
    assert states["root"][0] is ok
    assert states["wrongfs"][0] is crit and "not nfs" in states["wrongfs"][1]
    assert states["nomount"] == (crit, "/ltp/not/mounted not mounted")
    assert states["fresh"][0] is ok
    assert states["stale"][0] is crit and "old (max 3600s)" in states["stale"][1]
    assert states["missing"][0] is crit
    assert states["lacks"][0] is crit and "does not contain BACKUP" in states["lacks"][1]
    assert states["plugin-ok"] == (ok, "all good")
    assert states["plugin-warn"] == (CheckState.WARNING, "disk 91%")
    assert states["plugin-crit"][0] is crit
    assert states["plugin-odd"][0] is CheckState.UNKNOWN
    expected_ipvs = ok if Path("/proc/net/ip_vs").exists() else CheckState.UNKNOWN
    assert states["ipvs"][0] in (expected_ipvs, crit)
    assert states["md"][0] in (ok, CheckState.UNKNOWN)


@pytest.mark.parametrize("shell", SHELLS)
def test_host_figures_come_with_every_round(shell: list[str]) -> None:
    done = subprocess.run(
        shell, input=probe_script([]), capture_output=True, text=True, timeout=60, check=False
    )
    figures = parse_report(done.stdout, 0).figures
    assert figures.load is not None and figures.uptime is not None and figures.uptime > 0
    assert figures.mem_total_kb and figures.mem_available_kb
    assert "/" in figures.disks


HOSTILE = [
    "a'; touch CANARY; echo '",
    "$(touch CANARY)",
    "`touch CANARY`",
    "x\ntouch CANARY\n",
    "a;touch CANARY",
    "a && touch CANARY",
    "--help; touch CANARY",
    "../../../bin/touch CANARY",
]


@pytest.mark.parametrize("shell", SHELLS)
def test_hostile_names_never_run(shell: list[str], tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    checks: list[Check] = []
    for n, text in enumerate(HOSTILE):
        hostile = text.replace("CANARY", str(canary))
        checks += [
            Check(f"p{n}", process=hostile),
            Check(f"s{n}", service=hostile),
            Check(f"m{n}", mount=hostile, fstype=hostile),
            Check(f"f{n}", file=hostile, contains=hostile, max_age=10),
            Check(f"i{n}", ipvs=IpvsExpectation(hostile, 1)),
        ]
    states = run(shell, checks)
    assert not canary.exists()
    assert len(states) == len(checks)
    assert all(state is not CheckState.OK for state, _ in states.values())


def test_parser_rejects_garbage_with_a_reason() -> None:
    assert parse_report("", 2).error is not None
    garbage = parse_report("LTP1 BEGIN\nC 0 FINE all good\nLTP1 END\n", 1)
    assert garbage.error is not None and "garbage at line 2" in garbage.error
    assert garbage.results[0].state is CheckState.UNKNOWN
    out_of_range = parse_report("LTP1 BEGIN\nC 5 OK x\nLTP1 END\n", 1)
    assert out_of_range.error is not None and "no check number 5" in out_of_range.error
    missing = parse_report("LTP1 BEGIN\nH uptime 5\nLTP1 END\n", 1)
    assert missing.error is None
    assert missing.results[0] == missing.results[0].__class__(
        CheckState.UNKNOWN, "no answer for this check"
    )
    worst = parse_report("LTP1 BEGIN\nC 0 OK a\nC 0 CRITICAL b\nLTP1 END\n", 1)
    assert worst.results[0].state is CheckState.CRITICAL and worst.results[0].output == "a; b"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parser_never_raises(text: str) -> None:
    report = parse_report(text, 3)
    assert set(report.results) == {0, 1, 2}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "LTP1 BEGIN",
                "LTP1 END",
                "H load 1 2 3",
                "H mem 1 2 3 4",
                "H disk / 10 5",
                "C 0 OK x",
                "C 1 WARNING",
                "H uptime x",
                "C -1 OK",
                "H load",
                "\x00",
                "C 0 NOPE",
            ]
        ),
        max_size=12,
    )
)
def test_parser_never_raises_on_near_misses(lines: list[str]) -> None:
    parse_report("\n".join(lines), 2)
