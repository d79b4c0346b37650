"""The fault matrix: each row a fault injected into the lab (or a hostile input the
test makes) and what must be seen. Every row: the app still answers a key, the
affected item says what happened, nothing else changed.

The rows of the matrix that other modules already hold (SSH refused, blackhole,
slow banner, auth failure, host key changed, garbage and dropped probes, console
busy, drop and reconnect, PDU errors, busy card and liar) are in test_poller.py,
test_console.py and test_power.py; this module holds the rows the reliability
work added.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import subprocess
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from lautre_tui.cli.tui import build_app
from lautre_tui.lab.runner import Lab
from lautre_tui.lab.world import Fault, FaultKind
from lautre_tui.model.health import HealthTracker, Reachability, Verdict
from lautre_tui.model.layout import SshSettings
from lautre_tui.model.probe_format import BEGIN, END, parse_report
from lautre_tui.services.audit import AuditLog
from lautre_tui.services.console import holder, transcript_path
from lautre_tui.services.poller import Poller
from lautre_tui.ui.app import RackApp
from lautre_tui.ui.clicks_driver import ANY_MOTION, CLICKS
from lautre_tui.ui.console_screen import ConsoleScreen
from lautre_tui.ui.terminal import FRAME_BYTES, TerminalView
from tests.app_helpers import a_round_after, go_to, open_console
from tests.console_helpers import under_pty
from tests.lab_helpers import WAIT, eventually, lab_layout, presents_another_key
from tests.test_ui_rack import _plain

ESC = "\x1b"


async def answers_a_key(app: RackApp, pilot: object) -> None:
    """The app is alive: `j` moves the rack's selection."""
    rack = app.rack_screen.current_rack()
    assert rack is not None
    before = rack.selected
    await pilot.press("j")  # type: ignore[attr-defined]
    await eventually(lambda: rack.selected != before)


async def log_in(pilot: Any, app: RackApp, host: str) -> TerminalView:
    terminal = await open_console(app, pilot, host)
    for line in ("", "root", "pw"):
        await pilot.press(*line, "enter")
    await eventually(lambda: f"root@{host}" in terminal.text())
    return terminal


# -- consoles ------------------------------------------------------------------------------


async def test_console_garbage_and_malformed_sequences_never_take_the_app_down(lab: Lab) -> None:
    app = build_app(lab_layout(lab), lab.layout_path, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        terminal = await log_in(pilot, app, "eva")
        await pilot.press(*"garble", "enter")
        await eventually(lambda: "garbled" in terminal.text())
        assert terminal._stream.dropped >= 3  # the malformed sequences, dropped one by one
        await pilot.press(*"hostname", "enter")  # the console still works
        await eventually(lambda: terminal.text().count("eva") >= 3)
        await pilot.press("ctrl+right_square_bracket", "w")
        await eventually(lambda: not isinstance(app.screen, ConsoleScreen))
        await answers_a_key(app, pilot)
    assert b"\x1b[1;2;3;4r" in transcript_path("eva").read_bytes()  # every byte kept


async def test_a_console_flood_is_bounded_for_display_and_whole_in_the_transcript(
    lab: Lab,
) -> None:
    layout = lab_layout(lab)
    elsa = layout.devices["elsa"]
    assert elsa.console is not None  # through the raw TCP port: as fast as loopback goes
    raw = replace(elsa, console=replace(elsa.console, server=f"{elsa.console.server}-raw"))
    layout = replace(layout, devices={**layout.devices, "elsa": raw})
    app = build_app(layout, lab.layout_path, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        terminal = await log_in(pilot, app, "elsa")
        await pilot.press(*"flood 8000000", "enter")
        largest = 0
        await eventually(lambda: "flood sha256" in terminal.text() or terminal.skipped_bytes > 0)
        while "flood sha256" not in terminal.text():
            largest = max(largest, len(terminal._pending))
            await pilot.pause(0.01)
        assert terminal.skipped_bytes > 0 and largest <= 2 * FRAME_BYTES
        await pilot.press("ctrl+right_square_bracket", "w")
        await eventually(lambda: not isinstance(app.screen, ConsoleScreen))
        await answers_a_key(app, pilot)
    transcript = transcript_path("elsa").read_bytes()
    assert transcript.count(b"lautre-tui console flood") >= 8000000 // 60


def test_transcripts_rotate_while_a_session_runs(tmp_path: Path) -> None:
    from lautre_tui.services.console.transcript import KEEP_ROTATED, Transcript, index_path

    transcript = Transcript("eva", rotate_bytes=1000)
    for _ in range(50):
        transcript.write(b"x" * 100)
    transcript.close()
    files = sorted(p for p in transcript.path.parent.glob("eva.log*") if p.suffix != ".idx")
    assert len(files) == KEEP_ROTATED + 1
    assert all(index_path(path).exists() for path in files)  # each with its index
    assert all(path.stat().st_size <= 1000 for path in files)


# -- the poller ------------------------------------------------------------------------------


async def test_one_bad_host_is_unknown_and_the_others_are_still_polled(lab: Lab) -> None:
    """The loader refuses such a name; a layout built otherwise (or a resolver that
    raises what it should not) must still never stop the other hosts."""
    layout = lab_layout(lab)
    broken = replace(layout.devices["emma"], ssh=SshSettings(host="web..example.org", port=22))
    layout = replace(layout, devices={**layout.devices, "emma": broken})
    poller = Poller(layout, interval=0.5)
    poller.start()
    try:
        await eventually(lambda: poller.last_round is not None)
        first = poller.last_round
        await eventually(lambda: poller.last_round is not first)  # rounds go on
    finally:
        await poller.stop()
    emma = poller.health("emma")
    assert emma.verdict is Verdict.UNKNOWN and emma.reachability is Reachability.ERROR
    assert "web..example.org" in emma.message
    assert poller.health("ella").verdict is Verdict.OK


async def test_a_malformed_known_hosts_line_is_skipped_and_said(lab: Lab) -> None:
    text = lab.known_hosts.read_text()
    lab.known_hosts.write_text("@bogus-marker host ssh-ed25519 AAAA\n\xff\xfe garbage\n" + text)
    poller = Poller(lab_layout(lab))
    await poller.run_round()
    await poller.stop()
    assert poller.health("eva").verdict is Verdict.OK
    assert any(":1: skipped" in problem for problem in poller.connector.problems)
    assert poller.setup_note().startswith("known_hosts: ")


async def test_host_key_diagnosis_uses_ssh_configs_hostname_and_port(
    lab: Lab, tmp_path: Path
) -> None:
    layout = lab_layout(lab)
    port = layout.ssh_for(layout.devices["ella"]).port
    config = tmp_path / "ssh_config"
    config.write_text(f"Host ella-alias\n  HostName 127.0.0.1\n  Port {port}\n")
    aliased = replace(layout.devices["ella"], ssh=SshSettings(host="ella-alias", config=config))
    layout = replace(
        layout,
        ssh=replace(layout.ssh, config=config),
        devices={**layout.devices, "ella": aliased},
    )
    poller = Poller(layout, hosts=["ella"], soft_fails=1)
    await poller.run_round()  # the right key under the real address: fine
    assert poller.health("ella").verdict is Verdict.OK
    lab.world.inject(Fault(FaultKind.HOST_KEY_CHANGED, "ella"))
    await eventually(lambda: presents_another_key(lab, "ella"))
    await poller.stop()
    poller = Poller(layout, hosts=["ella"], soft_fails=1)
    await poller.run_round()
    await poller.stop()
    ella = poller.health("ella")
    assert ella.reachability is Reachability.KEY_CHANGED, ella.message
    assert f"[127.0.0.1]:{port}" in ella.message and ella.fingerprint


def test_host_output_never_drives_the_terminal() -> None:
    hostile = f"{ESC}]0;owned{ESC}\\{ESC}[2J{ESC}[H OK: all fine\x07"
    report = parse_report(f"{BEGIN}\nC 0 CRITICAL {hostile}\nH disk /{ESC}[31m 10 5\n{END}\n", 1)
    assert ESC not in report.results[0].output and "\x07" not in report.results[0].output
    assert all(ESC not in mount for mount in report.figures.disks)


# -- the app and its text ---------------------------------------------------------------------


async def test_markup_and_escapes_from_hosts_are_shown_as_text(lab: Lab) -> None:
    layout = lab_layout(lab)
    tracker = HealthTracker(layout)
    checks = len(layout.devices["elea"].services)
    report = parse_report(f"{BEGIN}\nC 0 CRITICAL [/b] [bold red]x[/] {ESC}[2J\n{END}\n", checks)
    tracker.observe("elea", report, time.time())
    app = build_app(layout, lab.layout_path, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        go_to(app, "elea")
        await pilot.pause()
        app.site.health["elea"] = tracker.hosts["elea"]
        app.rack_screen._show("elea")
        await pilot.pause()
        pane = _plain(app.query_one("#device-info", Static))
        assert "[/b]" in pane and "[bold" in pane and ESC not in pane
        app.notify("[/b] from a file\x1b[2J", title="[/i]")
        await pilot.pause()
        await answers_a_key(app, pilot)


@pytest.mark.parametrize(
    "keymap",
    [b"app.quit: '[/b]'\n", b"app.help: \xff\xfe\n", b"'[/b]': q\n"],
)
async def test_a_hostile_keymap_file_is_reported_never_fatal(
    lab: Lab, tmp_path: Path, keymap: bytes
) -> None:
    folder = Path(os.environ["XDG_CONFIG_HOME"]) / "lautre-tui"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "keymap.yaml").write_bytes(keymap)
    app = build_app(lab_layout(lab), lab.layout_path, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await answers_a_key(app, pilot)


def test_the_app_refuses_a_layout_with_errors(
    tmp_path: Path, cli: list[str], cli_env: dict[str, str]
) -> None:
    from tests.test_layout_validation import GOOD

    path = tmp_path / "layout.yaml"
    path.write_text(GOOD.replace("depends_on: [sw]", "depends_on: ['[/b]']"))
    done = subprocess.run(
        [*cli, "--layout", str(path)], env=cli_env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "unknown device '[/b]'" in done.stderr and "has errors: fix them first" in done.stderr


# -- power and its audit -------------------------------------------------------------------------


def power(
    cli: list[str], env: dict[str, str], layout: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*cli, "power", *args, "--layout", str(layout)],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


def test_no_power_action_without_its_audit_line(
    lab_process: Path, cli: list[str], cli_env: dict[str, str], tmp_path: Path
) -> None:
    blocked = tmp_path / "audit-is-a-directory"
    blocked.mkdir()
    env = dict(cli_env, LAUTRE_TUI_AUDIT_LOG=str(blocked))
    layout = lab_process / "layout.yaml"
    done = power(cli, env, layout, "eyra", "off", "--yes")
    assert done.returncode == 1, done
    assert "nothing done: cannot write the audit log" in done.stderr
    status = power(cli, cli_env, layout, "eyra", "status")
    assert "On" in status.stdout  # the outlet was never switched


def test_protected_devices_need_their_name_even_with_yes(
    lab_process: Path, cli: list[str], cli_env: dict[str, str]
) -> None:
    layout = lab_process / "layout.yaml"
    refused = power(cli, cli_env, layout, "facteur", "cycle", "--yes")
    assert refused.returncode == 2 and "--confirm-name facteur" in refused.stderr
    wrong = power(cli, cli_env, layout, "facteur", "cycle", "--yes", "--confirm-name", "ada")
    assert wrong.returncode == 2


def test_unknown_devices_and_outlets_are_audited(
    lab_process: Path, cli: list[str], cli_env: dict[str, str]
) -> None:
    layout = lab_process / "layout.yaml"
    assert power(cli, cli_env, layout, "nosuch", "off", "--yes").returncode == 1
    assert power(cli, cli_env, layout, "eyra", "off", "--yes", "--outlet", "42").returncode == 1
    audit = Path(cli_env["XDG_STATE_HOME"]) / "lautre-tui" / "audit.jsonl"
    events = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [(e["device"], e["result"][:6]) for e in events] == [
        ("nosuch", "error:"),
        ("eyra", "error:"),
    ]
    assert "not fed by outlet 42" in events[1]["result"]


@pytest.mark.parametrize(
    ("content", "mode", "needle"),
    [
        (None, 0o600, "cannot read password_file"),
        (b"\xff\xfe\x00", 0o600, "not UTF-8"),
        (b"\n", 0o600, "is empty"),
        (b"apc\n", 0o644, "readable by every user"),
    ],
)
def test_password_files_say_what_is_wrong(
    lab_process: Path,
    cli: list[str],
    cli_env: dict[str, str],
    tmp_path: Path,
    content: bytes | None,
    mode: int,
    needle: str,
) -> None:
    secret = tmp_path / "apc.password"
    if content is not None:
        secret.write_bytes(content)
        secret.chmod(mode)
    original = lab_process / "layout.yaml"
    text = original.read_text()
    start = text.index("password_file:")
    end = text.index("\n", start)
    layout = tmp_path / "layout.yaml"
    layout.write_text(text[:start] + f"password_file: {secret}" + text[end:])
    done = power(cli, cli_env, layout, "eyra", "status")
    assert needle in done.stderr
    assert "Traceback" not in done.stderr


# -- signals and the state folder ------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_with_a_console_open_detaches_audits_and_restores_the_terminal(
    lab_process: Path, cli: list[str], cli_env: dict[str, str], signum: int
) -> None:
    state = Path(cli_env["XDG_STATE_HOME"]) / "lautre-tui"
    with under_pty(
        [*cli, "console", "eva", "--layout", str(lab_process / "layout.yaml")],
        dict(cli_env, TERM="xterm-256color"),
    ) as console:
        console.expect(b"attached")
        # mouse reports for clicks and the wheel, not every motion over the SSH link
        assert CLICKS.encode() in console.seen and ANY_MOTION.encode() not in console.seen
        console.process.send_signal(signum)
        assert console.process.wait(WAIT) == 128 + signum
        console.expect(b"\x1b[?1049l")  # the alternate screen was left
    log = (state / "consoles" / "eva.log").read_bytes()
    assert b"[-- detached by " in log
    events = [json.loads(line) for line in (state / "audit.jsonl").read_text().splitlines()]
    assert [e["action"] for e in events] == ["console-attach", "console-detach"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_STATE_HOME", cli_env["XDG_STATE_HOME"])
        assert holder("eva") is None


async def test_nothing_in_the_state_folder_is_world_readable(lab: Lab) -> None:
    from lautre_tui.services.console import ConsoleSession, target_for

    previous = os.umask(0o002)  # a usual umask: the modes come from the code, not from luck
    session = ConsoleSession(target_for(lab_layout(lab), "emma"))
    await session.attach()
    try:
        AuditLog().record("test", "emma", "ok")
        state = transcript_path("emma").parent.parent
        for path in [state, *state.rglob("*")]:
            mode = stat.S_IMODE(path.stat().st_mode)
            assert not mode & 0o007, (path, oct(mode))
    finally:
        await session.detach()
        os.umask(previous)  # the umask is the process's: the next test in it gets its own back


async def test_two_consoles_started_at_once_one_gets_it(lab: Lab) -> None:
    from lautre_tui.services.console import ConsoleHeld, ConsoleSession, target_for

    sessions = [ConsoleSession(target_for(lab_layout(lab), "etna")) for _ in range(2)]
    outcomes = await asyncio.gather(*(s.attach() for s in sessions), return_exceptions=True)
    assert sorted(type(o).__name__ for o in outcomes) == ["ConsoleHeld", "NoneType"]
    assert any(isinstance(o, ConsoleHeld) for o in outcomes)
    for session, outcome in zip(sessions, outcomes, strict=True):
        if outcome is None:
            await session.detach()


async def test_console_round_trips_leave_no_widgets_behind(lab: Lab) -> None:
    """The soak's finding: each return to the rack left the footer's old keys alive."""
    import gc

    from textual.widgets._footer import FooterKey

    app = build_app(lab_layout(lab), lab.layout_path, poll=False)
    counts: list[int] = []
    async with app.run_test(size=(80, 24)) as pilot:
        go_to(app, "eva")
        for _ in range(4):
            await pilot.press("c")
            await eventually(lambda: isinstance(app.screen, ConsoleScreen))
            await pilot.press("ctrl+right_square_bracket", "w")
            await eventually(lambda: not isinstance(app.screen, ConsoleScreen))
            await pilot.pause()
            gc.collect()
            counts.append(sum(isinstance(o, FooterKey) for o in gc.get_objects()))
    assert counts[-1] == counts[1], counts


async def test_a_host_whose_power_comes_back_is_watched_until_it_answers(lab: Lab) -> None:
    """Not an interval (60 s here) and a connection back-off later: seconds."""
    from lautre_tui.model.impact import PowerAction

    app = build_app(lab_layout(lab), lab.layout_path, interval=60)
    async with app.run_test(size=(80, 24)):
        await a_round_after(app)
        power = app.site.power_service()
        assert power is not None and app.site.poller is not None
        poller = app.site.poller
        off = await power.act("elea", PowerAction.OFF, confirmation="test")
        assert off.ok
        await eventually(lambda: poller.health("elea").verdict is Verdict.POWERED_OFF)
        on = await power.act("elea", PowerAction.ON, confirmation="test")
        assert on.ok
        await eventually(lambda: poller.health("elea").verdict is Verdict.OK, timeout=20)


def test_a_keymap_names_its_bad_lines_and_keeps_the_rest(tmp_path: Path) -> None:
    from lautre_tui.ui.keymap import load_keymap

    path = tmp_path / "keymap.yaml"
    path.write_text("app.quit: ctrl+q\napp.hlep: h\napp.filter: 'a b'\nconsole.menu.close: x\n")
    keymap, problems = load_keymap(path, known={"app.quit", "app.help", "app.filter"})
    assert keymap == {"app.quit": "ctrl+q", "console.menu.close": "x"}
    assert problems == [
        f"{path}:2: unknown binding id 'app.hlep'; did you mean 'app.help'?",
        f"{path}:3: app.filter: 'a b' is not a list of keys (a,ctrl+b)",
    ]


async def test_the_help_shows_the_keys_a_keymap_gives(lab: Lab) -> None:
    from lautre_tui.ui.help_screen import HelpScreen

    folder = Path(os.environ["XDG_CONFIG_HOME"]) / "lautre-tui"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "keymap.yaml").write_text("app.console: ctrl+o\n")
    app = build_app(lab_layout(lab), lab.layout_path, poll=False)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("question_mark")
        await eventually(lambda: isinstance(app.screen, HelpScreen))
        keys = _plain(app.screen.query_one("#help-keys", Static))
        console = next(line for line in keys.splitlines() if "Console" in line)
        assert "ctrl+o" in console
