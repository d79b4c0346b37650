"""`lautre-tui check` against the lab, and `export icinga2` validated by a real
`icinga2 daemon -C`, then run by a real daemon against the lab."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import pytest

from lautre_tui.lab.runner import Lab
from lautre_tui.lab.world import Fault, FaultKind
from lautre_tui.model.icinga_config import export_icinga2
from lautre_tui.model.loader import load_layout
from tests.conftest import LAUTRE_LAYOUT, lautre
from tests.icinga_helpers import LAUTRE_TUI, Icinga, needs_icinga
from tests.lab_helpers import eventually, lab_cli, lab_layout


async def test_check_is_a_nagios_plugin(lab: Lab) -> None:
    code, out, _ = await lab_cli(lab, "check", "emma", "web")
    assert (code, out) == (0, "OK: process apache2 running; port 80 listening\n")
    code, out, _ = await lab_cli(lab, "check", "emma", "host")
    assert code == 0 and out.startswith("OK: answers over SSH | load1=")
    assert "'disk /'=" in out and "mem_used=" in out
    lab.world.inject(Fault(FaultKind.SERVICE_DOWN, "emma", "web"))
    code, out, _ = await lab_cli(lab, "check", "emma", "web")
    assert code == 2 and out.startswith("CRITICAL: ")
    code, out, _ = await lab_cli(lab, "check", "emma", "smtp")
    assert code == 0


async def test_check_of_reach_and_strip_and_failures(lab: Lab) -> None:
    reach = lab_layout(lab).devices["console"].reach
    assert reach is not None
    code, out, _ = await lab_cli(lab, "check", "console", f"tcp {reach.tcp[0]}")
    assert (code, out) == (0, f"OK: port {reach.tcp[0]} answers\n")
    code, out, _ = await lab_cli(lab, "check", "apc", "load")
    assert code == 0 and "| amps=" in out
    lab.world.inject(Fault(FaultKind.REFUSED, "elea"))
    code, out, _ = await lab_cli(lab, "check", "elea", "host")
    assert code == 2 and out.startswith("CRITICAL: ")
    code, out, _ = await lab_cli(lab, "check", "elea", "mysql")
    assert code == 3 and out.startswith("UNKNOWN: cannot check on elea: ")
    code, out, _ = await lab_cli(lab, "check", "emma", "nope")
    assert code == 3 and "has no check 'nope' (it has: host, web, smtp" in out
    code, out, _ = await lab_cli(lab, "check", "nobody", "host")
    assert code == 3 and out.startswith("UNKNOWN: no device 'nobody'")


def test_export_is_stable_and_says_what_the_layout_says() -> None:
    layout = lautre()
    text = export_icinga2(layout, "/etc/lautre-tui/layout.yaml")
    assert text == export_icinga2(lautre(), "/etc/lautre-tui/layout.yaml")
    hosts = text.count("\nobject Host ")
    assert hosts == len(layout.devices)
    estelle = text[text.index('object Host "estelle"') :].split("}\n", 1)[0]
    assert 'vars.state = "standby"' in estelle and "enable_notifications = false" in estelle
    assert 'object Dependency "facteur"' in text and "states = [ Up ]" in text
    assert 'check_command = "tcp"' in text and "vars.tcp_port = 22" in text


def test_export_quotes_what_the_layout_says(tmp_path: Path) -> None:
    text = LAUTRE_LAYOUT.read_text(encoding="utf-8").replace(
        "role: serial port server (consoles of every host)",
        'role: "web \\"server\\" $HOME \\\\ costs"',
        1,
    )
    path = tmp_path / "layout.yaml"
    path.write_text(text, encoding="utf-8")
    layout = load_layout(path).layout
    assert layout is not None
    out = export_icinga2(layout, str(path))
    assert 'vars.role = "web \\"server\\" $$HOME \\\\ costs"' in out


@needs_icinga
@pytest.mark.timeout(600)  # a real daemon and its PKI (made once) on a busy machine
async def test_exports_pass_icinga_validation(lab: Lab, tmp_path: Path, icinga_pki: Path) -> None:
    for name, layout, path in (
        ("lab", lab_layout(lab), lab.layout_path),
        ("lautre", lautre(), LAUTRE_LAYOUT),
    ):
        icinga = Icinga(tmp_path / name, icinga_pki)
        icinga.load(export_icinga2(layout, str(path), LAUTRE_TUI))
        done = await asyncio.to_thread(icinga.validate)
        icinga.close()
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"Instantiated {len(layout.devices)} Hosts" in done.stdout


async def test_export_command_writes_the_file(lab: Lab, tmp_path: Path) -> None:
    code, out, err = await lab_cli(lab, "export", "icinga2", "--out", str(tmp_path / "conf"))
    assert code == 0, err
    written = (tmp_path / "conf" / "lautre-tui.conf").read_text(encoding="utf-8")
    assert written == export_icinga2(lab_layout(lab), str(lab.layout_path.resolve()))
    code, out, _ = await lab_cli(lab, "export", "icinga2")
    assert code == 0 and out == written


@needs_icinga
@pytest.mark.timeout(600)  # a real daemon and its PKI (made once) on a busy machine
async def test_icinga_runs_lautre_tui_check_against_the_lab(lab: Lab, icinga: Icinga) -> None:
    """The fixture's daemon checks the lab's export every 10 minutes: the two checks
    asked for run now, each a `lautre-tui check` against the lab."""
    reach = lab_layout(lab).devices["console"].reach
    assert reach is not None
    wanted = [("emma", "web"), ("console", f"tcp {reach.tcp[0]}")]

    async def service(host: str, name: str) -> dict[str, object]:
        body = await asyncio.to_thread(
            icinga.get, f"/v1/objects/services/{host}!{name.replace(' ', '%20')}"
        )
        attrs: dict[str, object] = json.loads(body)["results"][0]["attrs"]
        return attrs

    async def checked(host: str, name: str) -> bool:
        attrs = await service(host, name)
        return attrs["last_check"] != -1 and attrs["state"] == 0

    for host, name in wanted:
        body = {"type": "Service", "service": f"{host}!{name}", "force": True}
        await asyncio.to_thread(
            icinga.post, "/v1/actions/reschedule-check", json.dumps(body).encode()
        )

    async def all_checked() -> bool:
        return all([await checked(host, name) for host, name in wanted])

    await eventually(all_checked, timeout=60)
    result = (await service("emma", "web"))["last_check_result"]
    assert (
        isinstance(result, dict)
        and result["output"] == "OK: process apache2 running; port 80 listening"
    )


def test_check_says_unknown_for_a_broken_layout(
    tmp_path: Path, cli: list[str], cli_env: dict[str, str]
) -> None:
    path = tmp_path / "layout.yaml"
    path.write_text("racks: []\ndevices: {emma: {rack: nowhere}}\n", encoding="utf-8")
    done = subprocess.run(
        [*cli, "check", "--layout", str(path), "emma", "host"],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=60,
    )
    assert done.returncode == 3 and done.stdout.startswith(f"UNKNOWN: layout {path}: {path}:")
    assert done.stdout.count("\n") == 1 and done.stderr == ""
