"""Icinga 2 as the status source: figures, not tests.

1. `icinga2 daemon -C` on the export of the 1000-host lab layout.
2. A real daemon with N services (default 10,000: generated servers of two checks
   each; their checks run `/bin/true` once a day, so that the daemon stays idle),
   the `IcingaSource` against it: time from start to every state read.
3. Results injected with `actions/process-check-result` by a separate process at
   500, 1000 and 2000 per second for a few seconds: how many the source absorbed
   per second, and how long after the last one it had seen them all.
RSS of this process, CPU seconds of each process (ours, the injector's, Icinga's).

    .venv/bin/python benchmarks/icinga.py [--services 10000] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from lautre_tui.lab.runner import lab_layout_data
from lautre_tui.model.icinga_config import export_icinga2
from lautre_tui.model.loader import load_layout
from lautre_tui.model.status_source import Icinga2Source
from lautre_tui.services.icinga_source import IcingaSource
from tests.icinga_helpers import PASSWORD, USER, Icinga, make_pki


def layout_file(folder: Path, hosts: int) -> Path:
    path = folder / f"layout-{hosts}.yaml"
    path.write_text(yaml.safe_dump(lab_layout_data(hosts), sort_keys=False), encoding="utf-8")
    return path


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process and its waited-for children."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(value) for value in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def icinga_cpu(icinga: Icinga) -> float:
    """CPU of the daemon's process group (the umbrella and the daemon it forks)."""
    assert icinga.process is not None
    group = os.getpgid(icinga.process.pid)
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == group:
                    total += process_cpu(int(entry.name))
            except (OSError, ValueError):
                continue
    return total


INJECTOR = """
import json, sys, threading, time, httpx
from concurrent.futures import ThreadPoolExecutor
url, user, password, ca, rate, seconds, names = sys.argv[1:8]
hosts = json.loads(names)
rate, seconds = float(rate), float(seconds)
total, lock, counter = int(rate * seconds), threading.Lock(), [0]
start = time.monotonic()
def worker():
    client = httpx.Client(base_url=url, auth=(user, password), verify=ca, timeout=30)
    while True:
        with lock:
            sent = counter[0]
            if sent >= total:
                return
            counter[0] += 1
        pause = start + sent / rate - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        client.post("/v1/actions/process-check-result", json={
            "type": "Service", "service": hosts[sent % len(hosts)] + "!web",
            "exit_status": sent % 2 * 2,
            "plugin_output": f"injected {sent}"}, headers={"Accept": "application/json"})
with ThreadPoolExecutor(32) as pool:  # requests in flight at once, paced to the rate
    for _ in range(32):
        pool.submit(worker)
print(json.dumps({"sent": total, "seconds": time.monotonic() - start}))
"""


async def rates(icinga: Icinga, source: IcingaSource, hosts: list[str], seconds: float) -> None:
    absorbed = {"n": 0}
    original = source._absorb

    def counting(event: dict[str, Any]) -> None:
        if event.get("type") == "CheckResult":
            absorbed["n"] += 1
        original(event)

    source._absorb = counting  # type: ignore[method-assign]
    source.start()
    await asyncio.sleep(2)
    for rate in (500, 1000, 2000):
        before, ours, theirs = absorbed["n"], time.process_time(), icinga_cpu(icinga)
        injector = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            INJECTOR,
            icinga.url,
            USER,
            PASSWORD,
            str(icinga.ca_file),
            str(rate),
            str(seconds),
            json.dumps(hosts),
            stdout=subprocess.PIPE,
        )
        started = time.monotonic()
        out, _ = await injector.communicate()
        done = json.loads(out)
        sent_for = time.monotonic() - started
        deadline = time.monotonic() + 30
        while absorbed["n"] - before < done["sent"] and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        lag = time.monotonic() - started - sent_for
        got = absorbed["n"] - before
        print(
            f"rate {rate}/s asked: sent {done['sent']} in {done['seconds']:.1f} s "
            f"({done['sent'] / done['seconds']:.0f}/s achieved by the injector); "
            f"absorbed {got} ({got / (sent_for + lag):.0f}/s), all seen {lag:.2f} s after "
            f"the last; CPU ours {time.process_time() - ours:.1f} s, "
            f"icinga {icinga_cpu(icinga) - theirs:.1f} s"
        )


async def sync(icinga: Icinga, layout_path: Path, services: int, seconds: float) -> None:
    layout = load_layout(layout_path, check=False).layout
    assert layout is not None
    source = IcingaSource(
        layout, Icinga2Source(icinga.url, USER, icinga.password_file, icinga.ca_file)
    )
    started, cpu = time.monotonic(), time.process_time()
    await source.sync_once()
    took = time.monotonic() - started
    print(
        f"initial sync of {services} services: {took:.2f} s "
        f"(CPU ours {time.process_time() - cpu:.2f} s); "
        f"RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    hosts = [name for name in layout.devices if name.startswith("gen")]
    await rates(icinga, source, hosts, seconds)
    await source.stop()
    print(f"RSS at the end {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        pki = make_pki(root / "pki")
        big = layout_file(root, 1000)
        layout = load_layout(big, check=False).layout
        assert layout is not None
        icinga = Icinga(root / "validate", pki)
        icinga.load(export_icinga2(layout, str(big)))
        started = time.monotonic()
        done = icinga.validate()
        print(
            f"daemon -C of the 1000-host lab export: {time.monotonic() - started:.2f} s "
            f"(exit {done.returncode})"
        )
        hosts = args.services // 2
        path = layout_file(root, hosts)
        layout = load_layout(path, check=False).layout
        assert layout is not None
        daily = replace(layout, poll=replace(layout.poll, interval=86400))
        icinga = Icinga(root / "run", pki)
        icinga.load(export_icinga2(daily, str(path), "/bin/true"))
        started = time.monotonic()
        icinga.start()
        print(
            f"icinga2 started with {hosts * 2} generated services in "
            f"{time.monotonic() - started:.1f} s"
        )
        try:
            asyncio.run(sync(icinga, path, hosts * 2, args.seconds))
        finally:
            icinga.stop()


if __name__ == "__main__":
    main()
