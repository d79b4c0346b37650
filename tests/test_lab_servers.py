"""The lab speaks the real protocols: OpenSSH, pyserial's RFC 2217 client and an
SSH session to the APC card all work against it, and physics and faults hold."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from pathlib import Path

import asyncssh
import pytest
import serial

from lautre_tui.backends.probe import REMOTE_COMMAND, probe_script
from lautre_tui.lab.listener import BLACKHOLE
from lautre_tui.lab.runner import Lab
from lautre_tui.lab.world import Fault, FaultKind
from lautre_tui.model.probe_format import CheckState, parse_report
from tests.lab_helpers import (
    WAIT,
    accepts_tcp,
    answers_ssh,
    connect,
    eventually,
    lab_layout,
    presents_another_key,
    refuses_ssh,
    run_on,
    serves,
    ssh_port,
)


async def openssh(lab: Lab, device: str, known_hosts: Path) -> subprocess.CompletedProcess[str]:
    command = [
        "ssh",
        "-o",
        f"UserKnownHostsFile={known_hosts}",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "BatchMode=yes",
        "-o",
        "GlobalKnownHostsFile=/dev/null",
        "-i",
        str(lab.client_key),
        "-p",
        str(ssh_port(lab, device)),
        "root@127.0.0.1",
        "hostname",
    ]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), WAIT)
    return subprocess.CompletedProcess(command, process.returncode or 0, out.decode(), err.decode())


async def test_openssh_client_runs_hostname_with_strict_host_key_checking(
    lab: Lab, tmp_path: Path
) -> None:
    done = await openssh(lab, "emma", lab.known_hosts)
    assert (done.returncode, done.stdout) == (0, "emma\n"), done.stderr
    wrong = tmp_path / "wrong_known_hosts"
    wrong.write_text(
        lab.known_hosts.read_text().replace(
            f"[127.0.0.1]:{ssh_port(lab, 'emma')} ", f"[127.0.0.1]:{ssh_port(lab, 'emma')}0 "
        )
    )
    refused = await openssh(lab, "emma", wrong)
    assert refused.returncode == 255
    assert "Host key verification failed" in refused.stderr


async def test_hosts_answer_commands_from_their_state(lab: Lab) -> None:
    loadavg = str((await run_on(lab, "elea", "cat /proc/loadavg")).stdout)
    assert [float(v) for v in loadavg.split()[:3]] == list(lab.host("elea").loadavg)
    assert "elsa" in str((await run_on(lab, "elsa", "uname -a")).stdout)
    unknown = await run_on(lab, "elsa", "rm -rf /")
    assert unknown.exit_status == 127 and "not found" in str(unknown.stdout)
    mounts = (await run_on(lab, "emma", "cat /proc/mounts")).stdout
    assert "fey:/data/elsa_nfs /var/alternc nfs" in str(mounts)


async def test_passwords_are_refused(lab: Lab) -> None:
    with pytest.raises(asyncssh.PermissionDenied):
        await asyncssh.connect(
            "127.0.0.1",
            ssh_port(lab, "emma"),
            username="root",
            password="root",
            known_hosts=asyncssh.read_known_hosts(str(lab.known_hosts)),
            client_keys=[],
            agent_path=None,
        )


async def probe(lab: Lab, device: str) -> dict[str, CheckState]:
    checks = lab_layout(lab).devices[device].services
    async with await connect(lab, device) as connection:
        other = await connection.run(REMOTE_COMMAND, input="rm -rf /\n", timeout=WAIT)
        assert other.exit_status == 2  # a lab host runs nothing but the probe
        result = await connection.run(REMOTE_COMMAND, input=probe_script(checks), timeout=WAIT)
    report = parse_report(str(result.stdout), len(checks))
    assert report.error is None
    return {checks[i].name: r.state for i, r in report.results.items()}


async def test_healthy_production_hosts_pass_their_checks(lab: Lab) -> None:
    for device in ("eva", "emma", "ella", "elea", "elsa", "fey"):
        states = await probe(lab, device)
        assert set(states.values()) == {CheckState.OK}, (device, states)


async def test_service_down_and_lvs_follow_the_world(lab: Lab) -> None:
    lab.world.inject(Fault(FaultKind.SERVICE_DOWN, "emma", "web"))
    states = await probe(lab, "emma")
    assert states["web"] is CheckState.CRITICAL
    assert states["smtp"] is CheckState.OK
    lab.world.inject(Fault(FaultKind.SERVICE_DOWN, "ella", "web"))
    eva = await probe(lab, "eva")  # keepalived dropped both real servers of :80
    assert eva["lvs web"] is CheckState.CRITICAL and eva["lvs https"] is CheckState.OK
    lab.world.set_outlet("apc", 10, False)
    lab.world.set_outlet("apc", 11, False)
    assert (await probe(lab, "elsa"))["alternc data"] is CheckState.CRITICAL


def rfc2217_session(url: str) -> str:
    """Log in on a console with pyserial's RFC 2217 client, then BREAK + `h`."""
    port = serial.serial_for_url(url, baudrate=9600, timeout=0.2)
    seen = b""

    def read_until(text: bytes) -> None:
        nonlocal seen
        deadline = time.monotonic() + WAIT
        while text not in seen:
            assert time.monotonic() < deadline, seen[-300:]
            seen += port.read(4096)

    try:
        port.write(b"\r")
        read_until(b"login: ")
        port.write(b"root\r")
        read_until(b"Password: ")
        port.write(b"secret\r")
        read_until(b"root@eva:~# ")
        port.write(b"hostname\r")
        read_until(b"\r\neva\r\n")
        port.send_break(0.1)
        port.write(b"h")
        read_until(b"SysRq : HELP")
        port.baudrate = 115200
        port.write(b"\rhostname\r")
        time.sleep(0.5)
        seen += port.read(4096)
    finally:
        port.close()
    return bytes(seen).decode("latin-1")


async def test_rfc2217_console_login_break_sysrq_and_baud(lab: Lab) -> None:
    url = lab.console_server.rfc2217_url("eva")
    seen = await asyncio.to_thread(rfc2217_session, url)
    assert "loglevel(0-9) reboot(b)" in seen
    device = lab.console_server.device("eva")
    assert device.line_baud == 115200  # the baud change reached the lab's side of the line
    assert not seen.endswith("eva\r\n")  # at the wrong speed the device reads noise


def raw_console(url: str, send: bytes, until: bytes) -> bytes:
    host, port = url.removeprefix("socket://").split(":")
    with socket.create_connection((host, int(port)), timeout=WAIT) as sock:
        sock.sendall(send)
        seen = b""
        deadline = time.monotonic() + WAIT
        while until not in seen and time.monotonic() < deadline:
            try:
                seen += sock.recv(4096)
            except TimeoutError:
                break
    return seen


async def test_a_second_client_is_told_the_port_is_busy(lab: Lab) -> None:
    url = lab.console_server.raw_url("elea")
    host, port = url.removeprefix("socket://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    await asyncio.wait_for(reader.readuntil(b"login: "), WAIT)
    second = await asyncio.to_thread(raw_console, url, b"", b"busy")
    assert b"port busy" in second
    writer.close()


async def apc_session(lab: Lab) -> asyncssh.SSHClientProcess[str]:
    layout = lab_layout(lab)
    strip = layout.pdus["apc"]
    assert strip.password_file is not None
    connection = await asyncssh.connect(
        "127.0.0.1",
        strip.port,
        username=strip.user,
        password=strip.password_file.read_text().strip(),
        known_hosts=asyncssh.read_known_hosts(str(lab.known_hosts)),
        client_keys=[],
    )
    process = await connection.create_process(term_type="vt100")
    await asyncio.wait_for(process.stdout.readuntil("apc>"), WAIT)
    return process


async def apc(process: asyncssh.SSHClientProcess[str], command: str) -> str:
    process.stdin.write(command + "\r")
    reply = await asyncio.wait_for(process.stdout.readuntil("apc>"), WAIT)
    return str(reply).replace("\r", "")


async def test_apc_cli_switches_outlets_and_the_host_follows(lab: Lab) -> None:
    session = await apc_session(lab)
    status = await apc(session, "olStatus all")
    assert "E000: Success" in status and " 8: elea: On" in status and " 5: estelle: Off" in status
    assert "E101: Command Not Found" in await apc(session, "olFoo")
    assert "E102: Parameter Error" in await apc(session, "olOff 99")
    url = lab.console_server.raw_url("elea")
    assert "E000: Success" in await apc(session, "olOff elea")
    assert " 8: elea: Off" in await apc(session, "olStatus 8")
    await eventually(lambda: refuses_ssh(lab, "elea"))
    boot = asyncio.create_task(asyncio.to_thread(raw_console, url, b"", b"elea login: "))
    await asyncio.sleep(0.3)
    assert "E000: Success" in await apc(session, "olOn 8")
    assert b"Linux version" in await boot
    await eventually(lambda: answers_ssh(lab, "elea"))
    ranges = await apc(session, "olStatus 1,3-4")
    assert [line.split(":")[0].strip() for line in ranges.splitlines()[2:5]] == ["1", "3", "4"]
    session.stdin.write("exit\r")
    await session.wait_closed()


async def test_apc_allows_one_session_and_refuses_exec(lab: Lab) -> None:
    first = await apc_session(lab)
    strip = lab_layout(lab).pdus["apc"]
    assert strip.password_file is not None
    connection = await asyncssh.connect(
        "127.0.0.1",
        strip.port,
        username="apc",
        password=strip.password_file.read_text().strip(),
        known_hosts=asyncssh.read_known_hosts(str(lab.known_hosts)),
        client_keys=[],
    )
    second = await connection.run(term_type="vt100", timeout=WAIT)
    assert "already logged in" in str(second.stdout)
    exec_request = await connection.run("olStatus all", timeout=WAIT)
    assert exec_request.exit_status == 1 and "refused" in str(exec_request.stderr)
    first.stdin.write("quit\r")
    await first.wait_closed()


@pytest.mark.parametrize(
    "kind",
    [
        FaultKind.REFUSED,
        FaultKind.BLACKHOLE,
        FaultKind.AUTH_FAILURE,
        FaultKind.HOST_KEY_CHANGED,
        FaultKind.GARBAGE,
        FaultKind.DROP_MID_COMMAND,
        FaultKind.SLOW,
    ],
)
async def test_each_ssh_fault_behaves_as_named(lab: Lab, kind: FaultKind) -> None:
    assert await answers_ssh(lab, "elsa")
    lab.world.inject(Fault(kind, "elsa", delay=1.0))
    if kind is FaultKind.REFUSED:
        await eventually(lambda: refuses_ssh(lab, "elsa"))
    elif kind is FaultKind.BLACKHOLE:
        await eventually(lambda: serves(lab, "elsa") == BLACKHOLE)  # the lab swapped it in
        assert await accepts_tcp(lab, "elsa")
        with pytest.raises((asyncio.TimeoutError, asyncssh.Error, OSError)):
            await asyncio.wait_for(connect(lab, "elsa"), 2)
    elif kind is FaultKind.AUTH_FAILURE:
        with pytest.raises(asyncssh.PermissionDenied):
            await connect(lab, "elsa")
    elif kind is FaultKind.HOST_KEY_CHANGED:
        await eventually(lambda: presents_another_key(lab, "elsa"))
    elif kind is FaultKind.GARBAGE:
        output = str((await run_on(lab, "elsa", "hostname")).stdout)
        assert output != "elsa\n" and len(output) > 50
    elif kind is FaultKind.DROP_MID_COMMAND:
        async with await connect(lab, "elsa") as connection:
            cut = await connection.run("cat /proc/meminfo", timeout=WAIT)
        assert cut.exit_status is None  # no exit status: the connection died under it
        meminfo = str(lab.host("elsa").proc_file("/proc/meminfo"))
        assert str(cut.stdout) == meminfo[: len(str(cut.stdout))]
        assert "SwapFree" not in str(cut.stdout)
    elif kind is FaultKind.SLOW:
        started = time.monotonic()
        assert (await run_on(lab, "elsa", "hostname")).stdout == "elsa\n"
        assert time.monotonic() - started >= 1.0
    lab.world.clear("elsa")
    await eventually(lambda: serves(lab, "elsa") == "ssh")
    await eventually(lambda: answers_ssh(lab, "elsa"))


async def test_the_labs_hosts_answer_common_commands(lab: Lab) -> None:
    from tests.lab_helpers import run_on

    async def out(host: str, command: str) -> str:
        return str((await run_on(lab, host, command)).stdout)

    assert "etc" in await out("eva", "ls /")
    assert await out("eva", "whoami") == "root\n"
    assert "load average" in await out("eva", "uptime")
    assert "/var/alternc" in await out("emma", "df -h")
    assert "apache2" in await out("emma", "ps ax")
    missing = await run_on(lab, "eva", "ls /nowhere")
    assert missing.exit_status == 2 and "No such file" in str(missing.stdout)
