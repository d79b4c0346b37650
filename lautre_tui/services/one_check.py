"""One check of one device, measured as the poller measures it, for `lautre-tui check`.

Icinga 2 (or any Nagios-style scheduler) runs it once per check and interval: a
fresh SSH connection with the layout's settings (host key checked), the same
probe script limited to the one check, the same reach checks and strip card
reading. Besides the layout's checks, the pseudo-check `host` says whether the
device answers at all, with its figures as perfdata (the Host object's check).
Our own failure to measure is UNKNOWN; a host that does not answer its `host`
check is CRITICAL (DOWN for Icinga).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncssh

from lautre_tui.backends.probe import REMOTE_COMMAND, probe_script
from lautre_tui.backends.ssh import SetupError, SshConnector, SshError
from lautre_tui.model.checks import ReachSettings
from lautre_tui.model.health import (
    STRIP_CHECKS,
    Failure,
    Reachability,
    check_names,
    reach_check_names,
    strip_report,
)
from lautre_tui.model.layout import Device, DeviceKind, Layout
from lautre_tui.model.probe_format import CheckResult, CheckState, HostFigures, parse_report
from lautre_tui.services.reachability import as_check, judge, run_checks

HOST_CHECK = "host"


@dataclass(frozen=True, slots=True)
class PluginResult:
    """What a Nagios plugin prints and returns."""

    state: CheckState
    output: str
    perfdata: str = ""

    def line(self) -> str:
        text = f"{self.state.name}: {self.output}"
        return f"{text} | {self.perfdata}" if self.perfdata else text


def checks_of(layout: Layout, device: Device) -> list[str]:
    """The check names `lautre-tui check` takes for `device`."""
    return [HOST_CHECK, *check_names(layout, device)]


async def run_check(layout: Layout, device: Device, check: str) -> PluginResult:
    """Measure `check` of `device` once; `check` must be one of `checks_of()`."""
    if check == HOST_CHECK:
        return await _host(layout, device)
    strip = layout.strip_of(device)
    if strip is not None and device.kind is not DeviceKind.SERVER:
        return await _strip(layout, strip.name, STRIP_CHECKS.index(check))
    reach_names = reach_check_names(device.reach)
    if check in reach_names:
        assert device.reach is not None
        one = ReachSettings(
            host=device.reach.host,
            tcp=(int(check.split()[1]),) if check.startswith("tcp ") else (),
            ping=check == "ping",
        )
        results = await run_checks(layout.reach_address(device), one, layout.poll.timeout)
        return _plain(as_check(results[0]))
    index = [c.name for c in device.services].index(check)
    return await _service(layout, device, index)


async def _service(layout: Layout, device: Device, index: int) -> PluginResult:
    """One declared service check over a fresh SSH connection."""
    text, error = await _probe(layout, device, index)
    if text is None:
        return PluginResult(CheckState.UNKNOWN, f"cannot check on {device.name}: {error}")
    report = parse_report(text, 1)
    if report.error:
        return PluginResult(CheckState.UNKNOWN, report.error)
    return _plain(report.results[0])


async def _host(layout: Layout, device: Device) -> PluginResult:
    """Does the device answer: SSH and its figures for a server, reach checks for
    the others, the card for a strip."""
    strip = layout.strip_of(device)
    if strip is not None and device.kind is not DeviceKind.SERVER:
        return await _strip(layout, strip.name, 0)
    if device.kind is DeviceKind.SERVER:
        text, error = await _probe(layout, device, None)
        if text is None:
            state = CheckState.UNKNOWN if error.startswith("setup: ") else CheckState.CRITICAL
            return PluginResult(state, error.removeprefix("setup: "))
        report = parse_report(text, 0)
        if report.error:
            return PluginResult(CheckState.UNKNOWN, report.error)
        return PluginResult(CheckState.OK, "answers over SSH", host_perfdata(report.figures))
    if device.reach is None:
        return PluginResult(CheckState.UNKNOWN, f"nothing checks {device.name} (no reach:)")
    address = layout.reach_address(device)
    outcome = judge(address, await run_checks(address, device.reach, layout.poll.timeout))
    if not isinstance(outcome, Failure):
        return PluginResult(CheckState.OK, f"{address} answers")
    ours = outcome.kind == Reachability.ERROR.value
    state = CheckState.UNKNOWN if ours else CheckState.CRITICAL
    return PluginResult(state, outcome.message)


async def _probe(layout: Layout, device: Device, index: int | None) -> tuple[str | None, str]:
    """The probe's answer for one check (or only the figures); else why not.
    A reason starting with "setup: " is our side's problem."""
    connector = SshConnector(connect_timeout=layout.poll.timeout, keepalive=0)
    checks = [device.services[index]] if index is not None else []
    try:
        connection = await connector.connect(layout.ssh_for(device))
    except SetupError as error:
        return None, f"setup: {error}"
    except SshError as error:
        return None, str(error)
    try:
        async with connection:
            done = await asyncio.wait_for(
                connection.run(REMOTE_COMMAND, input=probe_script(checks)),
                layout.poll.timeout,
            )
    except (asyncio.TimeoutError, TimeoutError):
        return None, f"no answer to the probe within {layout.poll.timeout:g} s"
    except (OSError, asyncssh.Error) as error:
        return None, f"connection lost: {error}"
    return str(done.stdout or ""), ""


async def _strip(layout: Layout, pdu: str, index: int) -> PluginResult:
    """The strip's card (index 0) or load (index 1), read from the card itself."""
    from lautre_tui.services.power import PowerService

    power = PowerService(layout, read_only=True)
    strip = layout.pdus[pdu]
    try:
        _states, amps = await power.read_strip(pdu, 0.0)
    except Exception as error:  # the card's driver says why in its own words
        report = strip_report(strip, None, str(error) or error.__class__.__name__)
        amps = None
    else:
        report = strip_report(strip, amps)
    finally:
        await power.close()
    result = report.results[index]
    perfdata = ""
    if index == 1 and amps is not None:
        rating = strip.rating_amps
        warn = f"{rating * strip.load_warn / 100:g}" if rating is not None else ""
        perfdata = f"amps={amps:g};{warn};;0;{rating:g}" if rating else f"amps={amps:g}"
    return PluginResult(result.state, result.output, perfdata)


def _plain(result: CheckResult) -> PluginResult:
    return PluginResult(result.state, result.output)


def host_perfdata(figures: HostFigures) -> str:
    """Load, memory and disk use in Nagios perfdata syntax (labels quoted)."""
    parts: list[str] = []
    if figures.load is not None:
        parts += [f"load{n}={v:g}" for n, v in zip((1, 5, 15), figures.load, strict=True)]
    if figures.mem_total_kb and figures.mem_available_kb is not None:
        used = figures.mem_total_kb - figures.mem_available_kb
        parts.append(f"mem_used={used * 1024}B;;;0;{figures.mem_total_kb * 1024}")
    if figures.uptime is not None:
        parts.append(f"uptime={figures.uptime:g}s")
    for mount in sorted(figures.disks):
        percent = figures.disk_percent(mount)
        if percent is not None:
            label = "disk " + mount.replace("'", "")
            parts.append(f"'{label}'={percent:.1f}%;;;0;100")
    return " ".join(parts)
