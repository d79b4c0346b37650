"""Icinga 2 as the status source: figures, not tests.

1. `icinga2 daemon -C` on the export of the 1000-host lab layout.
2. A real daemon with N services (default 10,000: generated servers of two checks
   each, running `/bin/true` once a day so that the daemon stays idle; the
   shipped devices, strip and console server are left out: nothing leaves
   127.0.0.1). In a process of its own, the `IcingaSource` alone reads them
   three times (wall and CPU time of each full read, RSS).
3. In another process, the app (headless, `run_test`) with that source: its
   initial sync and RSS, beside a bare Textual app's RSS. Then results offered by
   `icinga_injector.py` (a third process) at 500, 1000 and 2000 per second: how
   many the app's source saw per second and how far behind (send time to seen),
   the keys' latency meanwhile (`j`/`k` in the rack until the device pane shows
   the device), the CPU each process took, Icinga's own count (`/v1/status/CIB`).
   The same keys in the same app with no status source, for comparison.

The app's processes import neither the lab nor the tests, as the real app.

    .venv/bin/python benchmarks/icinga.py [--services 10000] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for `tests`

from lautre_tui.model.loader import load_layout

if TYPE_CHECKING:
    from lautre_tui.model.status_source import Icinga2Source
    from lautre_tui.ui.app import RackApp

HERE = Path(__file__).resolve().parent
RATES = (500, 1000, 2000)


def layout_file(folder: Path, hosts: int, fragment: str = "") -> Path:
    path = folder / f"layout-{hosts}.yaml"
    path.write_text(fragment + yaml.safe_dump(generated(hosts), sort_keys=False), "utf-8")
    return path


def generated(hosts: int) -> dict[str, Any]:
    """The lab's generated servers only: no shipped device, strip or console server
    (their names resolve nowhere, and the app would try them)."""
    from lautre_tui.lab.runner import lab_layout_data

    data = lab_layout_data(hosts)
    data["devices"] = {k: v for k, v in data["devices"].items() if k.startswith("gen")}
    data["racks"] = [rack for rack in data["racks"] if rack["name"].startswith("baie-gen")]
    del data["pdus"], data["consoles"]
    return data


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process and its waited-for children."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(value) for value in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def group_cpu(group: int) -> float:
    """CPU of a process group (Icinga's umbrella and the daemon it forks)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == group:
                    total += process_cpu(int(entry.name))
            except (OSError, ValueError):
                continue
    return total


def memory() -> str:
    """This process's resident size now and at its peak."""
    found = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    now, peak = (int(found[key].split()[0]) // 1024 for key in ("VmRSS", "VmHWM"))
    return f"RSS {now} MB (peak {peak} MB)"


# -- the app's side: a process of its own ------------------------------------------


async def until(condition: Any, timeout: float = 120.0) -> bool:
    """Whether `condition` came true within `timeout` (polled every 2 ms)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.002)
    return True


async def key_latency(app: RackApp, step: int) -> float:
    """Seconds from a rack key (`j` or `k`) to the device pane showing the device."""
    from textual import events

    from lautre_tui.ui.device_pane import DevicePane

    rack = app.rack_screen.current_rack()
    assert rack is not None and rack.selected is not None
    names = [device.name for device in rack.devices]
    target = names[names.index(rack.selected) + step]
    pane = app.query_one(DevicePane)
    key = "j" if step > 0 else "k"
    event = events.Key(key, key)  # as the terminal driver posts it (`pilot.press` would
    event.set_sender(app)  # wait for the whole app to be idle, up to 1 s under a stream)
    assert app._driver is not None
    started = time.monotonic()
    app._driver.send_message(event)
    assert await until(lambda: pane.device is not None and pane.device.name == target)
    return time.monotonic() - started


class Seen:
    """Wraps the source's `_absorb`: how far behind each injected result was seen."""

    def __init__(self, source: Any) -> None:
        self.tag = ""
        self.lags: list[float] = []
        self._absorb = source._absorb
        source._absorb = self.absorb

    def absorb(self, event: Any) -> None:
        result = event.check_result
        if event.type == "CheckResult" and result and result.output.startswith(self.tag):
            self.lags.append(time.time() - float(result.output.rsplit(" ", 1)[1]))
        self._absorb(event)

    def expect(self, tag: str) -> None:
        self.tag, self.lags = tag, []


async def inject(
    settings: Icinga2Source, hosts: Path, rate: float, seconds: float, tag: str
) -> Any:
    """The injector process, started; `communicate()` gives its JSON line."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(HERE / "icinga_injector.py"),
        settings.url,
        str(settings.user),
        str(settings.password_file),
        str(settings.ca_file),
        str(rate),
        str(seconds),
        tag,
        str(hosts),
        stdout=subprocess.PIPE,
    )


async def sync_side(path: Path) -> None:
    """The source alone (no Textual): three full reads, as `status` does one."""
    from lautre_tui.services.icinga_source import IcingaSource

    layout = load_layout(path, check=False).layout
    assert layout is not None and layout.status_source is not None
    print(f"sync process: layout of {len(layout.devices)} devices loaded, {memory()}")
    source = IcingaSource(layout, layout.status_source)
    for _ in range(3):
        started, cpu = time.monotonic(), time.process_time()
        await source.sync_once()
        print(
            f"initial sync (source alone): {time.monotonic() - started:.2f} s, "
            f"CPU ours {time.process_time() - cpu:.2f} s; {memory()}"
        )
    await source.stop()


async def keys_alone(path: Path) -> None:
    """The same app and layout with no status source at all: what the keys cost
    without Icinga (`poll=False`)."""
    from lautre_tui.cli.tui import build_app

    layout = load_layout(path, check=False).layout
    assert layout is not None
    app = build_app(layout, path, poll=False)
    async with app.run_test(size=(120, 40)):
        print(f"the app with no status source: {await keys(app)}; {memory()}")


async def keys(app: RackApp, count: int = 10) -> str:
    latencies, step = [], 1
    for _ in range(count):
        latencies.append(await key_latency(app, step))
        step = -step
    return (
        f"keys answered in median {statistics.median(latencies) * 1000:.0f} ms, "
        f"max {max(latencies) * 1000:.0f} ms ({count} keys)"
    )


async def app_side(path: Path, icinga_group: int, seconds: float) -> None:
    from lautre_tui.cli.tui import build_app
    from lautre_tui.services.icinga_source import IcingaSource

    layout = load_layout(path, check=False).layout
    assert layout is not None and layout.status_source is not None
    settings = layout.status_source
    print(f"app process: layout of {len(layout.devices)} devices loaded, {memory()}")
    cpu = time.process_time()
    app = build_app(layout, path)
    async with app.run_test(size=(120, 40)):
        await until(lambda: app.site.poller is not None and app.site.poller.last_round)
        source = app.site.poller
        assert isinstance(source, IcingaSource) and source.last_round is not None
        print(
            f"initial sync of {len(source.objects.services)} services: "
            f"{source.last_round.duration:.2f} s; app start to every state read: "
            f"CPU ours {time.process_time() - cpu:.2f} s; {memory()}"
        )
        print(f"no result flowing: {await keys(app)}")
        seen = Seen(source)
        hosts = path.with_name("hosts.txt")
        hosts.write_text("\n".join(name for name in layout.devices), encoding="utf-8")
        seen.expect("warm-up")
        while not seen.lags:  # the stream is open once a result comes through it
            await (await inject(settings, hosts, 20, 0.5, "warm-up")).communicate()
            await until(lambda: bool(seen.lags), 2)
        for rate in RATES:
            seen.expect(f"rate{rate}")
            ours, theirs = time.process_time(), group_cpu(icinga_group)
            injector = await inject(settings, hosts, rate, seconds, f"rate{rate}")
            started, latencies, step = time.monotonic(), [], 1
            output = asyncio.ensure_future(injector.communicate())
            while not output.done():
                latencies.append(await key_latency(app, step))
                step = -step
                await asyncio.sleep(0.2)
            done = json.loads((await output)[0])
            sent_for = time.monotonic() - started
            await until(lambda: len(seen.lags) >= done["sent"], 30)  # noqa: B023
            lag = time.monotonic() - started - sent_for
            lags = seen.lags or [float("nan")]
            print(
                f"rate {rate}/s offered: injector sent {done['sent']} in {done['seconds']:.1f} s "
                f"({done['sent'] / done['seconds']:.0f}/s, {done['failed']} refused, "
                f"CPU {done['cpu']:.1f} s); the app saw {len(seen.lags)} "
                f"({len(seen.lags) / (sent_for + lag):.0f}/s), the last {lag:.2f} s after the "
                f"injector ended, behind by median {statistics.median(lags):.2f} s, max "
                f"{max(lags):.2f} s; keys answered in median "
                f"{statistics.median(latencies) * 1000:.0f} ms, max "
                f"{max(latencies) * 1000:.0f} ms ({len(latencies)} keys); "
                f"CPU ours {time.process_time() - ours:.1f} s, "
                f"icinga {group_cpu(icinga_group) - theirs:.1f} s"
            )
            cib = await source.api.status("CIB")
            status = cib["results"][0]["status"]
            print(
                f"  Icinga's CIB: {status['passive_service_checks_1min']:.0f} passive "
                f"results in the last minute"
            )
    print(f"app process at the end: {memory()}")


async def bare_textual() -> None:
    from textual.app import App
    from textual.widgets import Static

    class Bare(App[None]):
        def compose(self) -> Any:
            yield Static("hello")

    async with Bare().run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        print(f"a bare Textual app (run_test): {memory()}")


# -- the orchestra --------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--app", type=Path, help=argparse.SUPPRESS)  # the app's process
    parser.add_argument("--icinga-group", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sync", type=Path, help=argparse.SUPPRESS)  # the source alone
    parser.add_argument("--keys", type=Path, help=argparse.SUPPRESS)  # no source
    parser.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()  # the app's process imports neither the lab nor the tests
    if args.bare:
        asyncio.run(bare_textual())
        return
    if args.sync is not None:
        asyncio.run(sync_side(args.sync))
        return
    if args.keys is not None:
        asyncio.run(keys_alone(args.keys))
        return
    if args.app is not None:
        asyncio.run(app_side(args.app, args.icinga_group, args.seconds))
        return
    from lautre_tui.lab.runner import lab_layout_data
    from lautre_tui.model.icinga_config import export_icinga2
    from tests.icinga_helpers import Icinga, make_pki

    print(f"load average {os.getloadavg()[0]:.2f}")
    subprocess.run([sys.executable, __file__, "--bare"], check=True)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        pki = make_pki(root / "pki")
        big = root / "layout-1000.yaml"
        big.write_text(yaml.safe_dump(lab_layout_data(1000), sort_keys=False), "utf-8")
        layout = load_layout(big, check=False).layout
        assert layout is not None
        icinga = Icinga(root / "validate", pki)
        icinga.load(export_icinga2(layout, str(big)))
        started = time.monotonic()
        done = icinga.validate()
        icinga.close()
        print(
            f"daemon -C of the 1000-host lab export: {time.monotonic() - started:.2f} s "
            f"(exit {done.returncode})"
        )
        hosts = args.services // 2
        icinga = Icinga(root / "run", pki)
        path = layout_file(root, hosts, icinga.layout_fragment())
        layout = load_layout(path, check=False).layout
        assert layout is not None
        daily = replace(layout, poll=replace(layout.poll, interval=86400))
        icinga.load(export_icinga2(daily, str(path), "/bin/true"))
        started = time.monotonic()
        icinga.start()
        print(f"icinga2 started with {hosts * 2} services in {time.monotonic() - started:.1f} s")
        assert icinga.process is not None
        try:
            subprocess.run([sys.executable, __file__, "--keys", str(path)], check=True)
            subprocess.run([sys.executable, __file__, "--sync", str(path)], check=True)
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--app",
                    str(path),
                    "--icinga-group",
                    str(os.getpgid(icinga.process.pid)),
                    "--seconds",
                    str(args.seconds),
                ],
                check=True,
            )
        finally:
            icinga.close()
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
