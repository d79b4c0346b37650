"""`lautre-tui doctor`: a newcomer's first minutes, or a bastion after a change.

One line per finding, OK / WARN / FAIL, each with what to do about it: the
layout, SSH (known_hosts entries, a usable key or agent), the strips' password
files, the shared state folder, whether the console server and the strips
answer (their management ports only: never a console's serial port, never a
login on a card), and the terminal. Exit 0 when all is OK, 1 with warnings,
2 with failures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from lautre_tui import locations
from lautre_tui.cli.common import add_layout_option
from lautre_tui.locations import find_layout
from lautre_tui.model.layout import DeviceKind, Layout
from lautre_tui.model.loader import load_layout

OK, WARN, FAIL = "OK", "WARN", "FAIL"
EXIT = {OK: 0, WARN: 1, FAIL: 2}


@dataclass(frozen=True, slots=True)
class Finding:
    level: str
    what: str
    fix: str = ""

    def line(self) -> str:
        return f"{self.level:<4}  {self.what}" + (f": {self.fix}" if self.fix else "")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "doctor",
        help="check the set-up: layout, SSH keys and known_hosts, password files, the "
        "state folder, the console server and strips, the terminal",
        description="One line per finding, OK/WARN/FAIL with the fix. Nothing is changed, "
        "no host is logged into. Exit 0 when all is OK, 1 with warnings, 2 with failures.",
    )
    add_layout_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    path = find_layout(args.layout)
    findings = layout_findings(path)
    result = load_layout(path)
    if result.layout is not None:
        layout = result.layout
        findings += ssh_findings(layout)
        findings += password_findings(layout)
        findings += asyncio.run(answer_findings(layout))
    findings += state_findings()
    findings += terminal_findings()
    for finding in findings:
        print(finding.line())
    worst = max((EXIT[f.level] for f in findings), default=0)
    counts = {level: sum(f.level == level for f in findings) for level in (OK, WARN, FAIL)}
    print(f"\n{counts[OK]} OK, {counts[WARN]} warnings, {counts[FAIL]} failures")
    return worst


def layout_findings(path: Path) -> list[Finding]:
    result = load_layout(path)
    if result.layout is None or result.errors:
        first = str(result.errors[0]) if result.errors else "cannot be read"
        return [
            Finding(
                FAIL,
                f"layout {path}: {len(result.errors)} errors, first: {first}",
                f"lautre-tui validate {path}",
            )
        ]
    layout = result.layout
    findings = [Finding(OK, f"layout {path}: {len(layout.devices)} devices")]
    findings += [Finding(WARN, str(warning)) for warning in result.warnings]
    return findings


def ssh_findings(layout: Layout) -> list[Finding]:
    """Every SSH host has a known_hosts entry, and there is a key or an agent."""
    from lautre_tui.backends.ssh import SshConnector

    connector = SshConnector()
    findings: list[Finding] = []
    missing: list[str] = []
    keys_checked: set[tuple[Path, ...] | None] = set()
    for device in layout.devices.values():
        if device.kind is not DeviceKind.SERVER:
            continue
        settings = layout.ssh_for(device)
        host, port = settings.host or device.name, settings.port or 22
        known = connector.known_hosts(settings.known_hosts)
        if not known.match(host, "", port if port != 22 else None)[0]:
            missing.append(host if port == 22 else f"[{host}]:{port}")
        paths = settings.client_keys
        if paths in keys_checked:
            continue
        keys_checked.add(paths)
        try:
            keys = connector.client_keys(paths)
        except (OSError, ValueError) as error:
            findings.append(
                Finding(FAIL, f"client key of {device.name}: {error}", "fix client_keys")
            )
            continue
        if keys is None and not os.environ.get("SSH_AUTH_SOCK"):
            findings.append(
                Finding(
                    FAIL,
                    "no SSH key in ~/.ssh and no agent",
                    "add a key (ssh-keygen) or forward your agent (ssh -A to the bastion)",
                )
            )
    for problem in connector.problems:
        findings.append(Finding(WARN, f"known_hosts: {problem}", "remove or fix that line"))
    if missing:
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        findings.append(
            Finding(
                FAIL,
                f"no known_hosts entry for {shown}",
                "connect once with ssh to check and record each key (never trust it blindly)",
            )
        )
    else:
        findings.append(Finding(OK, "every SSH host has a known_hosts entry"))
    return findings


def password_findings(layout: Layout) -> list[Finding]:
    from lautre_tui.services.power import PduError, password_file_warning, read_password_file

    findings: list[Finding] = []
    for pdu in layout.pdus.values():
        if pdu.password_file is None:
            findings.append(
                Finding(WARN, f"{pdu.name}: no password_file", "power asks on a terminal only")
            )
            continue
        try:
            read_password_file(pdu)
        except PduError as error:
            findings.append(Finding(FAIL, str(error), "create it, readable by you, mode 0600"))
            continue
        warning = password_file_warning(pdu)
        findings.append(
            Finding(WARN, warning, f"chmod o-r {pdu.password_file}")
            if warning
            else Finding(OK, f"{pdu.name}: password file readable, not world-readable")
        )
    return findings


def state_findings() -> list[Finding]:
    folder = locations.state_dir()
    try:
        info = folder.stat()
    except FileNotFoundError:
        return [
            Finding(
                WARN,
                f"state folder {folder} does not exist yet",
                "it is created on first use (0770); to share it: "
                "`install -d -m 2770 -g ADMINS DIR` and LAUTRE_TUI_STATE_DIR=DIR",
            )
        ]
    if not stat.S_ISDIR(info.st_mode):
        return [Finding(FAIL, f"state folder {folder} is not a folder", "move that file away")]
    mode = stat.S_IMODE(info.st_mode)
    findings: list[Finding] = []
    if mode & 0o007:
        findings.append(
            Finding(
                FAIL, f"state folder {folder} is open to all ({oct(mode)})", f"chmod o= {folder}"
            )
        )
    else:
        findings.append(Finding(OK, f"state folder {folder} ({oct(mode)})"))
    if os.environ.get(locations.STATE_ENV) and not mode & stat.S_ISGID:
        findings.append(
            Finding(
                WARN,
                f"shared state folder {folder} is not setgid: new files keep their creator's group",
                f"chmod g+s {folder} (and chgrp it to the admins' group)",
            )
        )
    for path in folder.rglob("*"):
        with_mode = stat.S_IMODE(path.lstat().st_mode)
        if with_mode & 0o007:
            findings.append(Finding(FAIL, f"{path} is open to all ({oct(with_mode)})", "chmod o="))
    return findings


async def answer_findings(layout: Layout) -> list[Finding]:
    """The console servers' and strips' management ports answer (a TCP handshake
    only: no login, no serial port)."""
    from lautre_tui.backends.reach import Answer, tcp

    targets: list[tuple[str, str, int]] = []
    for pdu in layout.pdus.values():
        targets.append((f"strip {pdu.name}'s card", pdu.host, pdu.port))
    for server in layout.consoles.values():
        device = layout.devices.get(server.device or "")
        if device is not None and device.reach is not None:
            address = layout.reach_address(device)
            targets += [(f"console server {server.name}", address, p) for p in device.reach.tcp]
    results = await asyncio.gather(*(tcp(host, port, 3.0) for _what, host, port in targets))
    findings: list[Finding] = []
    for (what, host, port), result in zip(targets, results, strict=True):
        if result.answer is Answer.OPEN:
            findings.append(Finding(OK, f"{what} answers on {host}:{port}"))
        else:
            findings.append(
                Finding(FAIL, f"{what} ({host}:{port}): {result.detail}", "check its address")
            )
    return findings


def terminal_findings() -> list[Finding]:
    findings: list[Finding] = []
    term = os.environ.get("TERM", "")
    if not term or term == "dumb":
        findings.append(Finding(WARN, f"TERM is {term or 'not set'}", "set TERM=xterm-256color"))
    else:
        findings.append(Finding(OK, f"TERM={term}"))
    encoding = (sys.stdout.encoding or "").lower().replace("-", "")
    if encoding != "utf8":
        findings.append(
            Finding(
                WARN, f"the terminal's encoding is {encoding or 'unknown'}", "use a UTF-8 locale"
            )
        )
    if os.environ.get("NO_COLOR"):
        findings.append(Finding(OK, "NO_COLOR is set: states are told by their glyphs"))
    columns, lines = shutil.get_terminal_size((80, 24))
    if columns < 80 or lines < 24:
        findings.append(
            Finding(WARN, f"the terminal is {columns}x{lines}", "at least 80x24 shows the rack")
        )
    return findings
