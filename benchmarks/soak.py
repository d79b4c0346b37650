"""Soak: the app against the lab for N minutes, under faults, a console flood and
power cycles; does anything grow or slow down?

The app is the one `lautre-tui` builds (`build_app`, as the tests do), run
headless with Pilot, against an in-process `Lab`, everything in one event loop:

- a fault every `--fault-seconds`, in rotation over every `FaultKind` (SSH hosts,
  the strip, the flooded console's port), the previous one cleared first;
- the console of `--console-host` opened with `c` in the rack, logged in, and fed
  `--flood` bytes a second by the lab's own `flood N` command;
- a power cycle of the staging host `--staging` through the app's power service
  every `--power-seconds`;
- every `--sample-seconds`: back to the rack (Ctrl-] w), `j` (or `k`) must move
  the selection, `c` must bring the console back; then RSS (VmRSS), open file
  descriptors, asyncio tasks, and the event loop's lag, measured all along by a
  callback due every 50 ms (how late it ran).

Faults and samples run at fixed rates, each sample mid-way through a fault, so
that samples one rotation apart meet the same fault: open connections and tasks
depend on which host is faulty, so growth is measured from the first sample under
load that met the same fault as the last one (from the first under load when the
run is shorter than a rotation), and fds and tasks are their floor over a second
(a poll round's connections come and go). The idle start is shown too.

Columns: RSS; fds; tasks; the loop's lag since the previous sample (p50, p99,
max, ms); `key ms`, from `j` to the selection moving; `con ms`, from `c` to the
console's screen; power cycles ok/failed; MB of flood asked, parsed by the
console's view (`shown`, the backlog of each reopening included) and in the
transcript; the age of the poller's last round; the fault in force.

At the end: the samples, the growth first→last, the lag's p50/p99/max over the
run, power-cycle failures (with who held the strip's only CLI session), the
exceptions that reached the event loop uncaught, and the goals for 60 minutes
(RSS growth ≤ 5 MB, no growth in fds or tasks, lag p99 ≤ 50 ms; and every key
answered, the console back every time, no uncaught exception). Exits 0 when
every goal held, 1 otherwise, 2 when the run had to be cut by its watchdog.
Transcripts, the audit log and the lab live in a temporary folder, removed at
the end. To chase a leak: `--count-objects` (live widgets by type, each sample)
and `--tracemalloc` (the allocations that grew most); both slow the app down.

Run: `.venv/bin/python benchmarks/soak.py [--minutes 60]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget

from lautre_tui.cli.tui import build_app
from lautre_tui.lab.runner import Lab
from lautre_tui.lab.world import Fault, FaultKind
from lautre_tui.model.impact import PowerAction
from lautre_tui.model.layout import Layout, Lifecycle
from lautre_tui.model.loader import load_layout
from lautre_tui.services.console import transcript_path
from lautre_tui.ui.app import RackApp
from lautre_tui.ui.console_screen import ConsoleScreen

LAG_PERIOD = 0.05
GOAL_RSS_MB = 5.0
GOAL_LAG_P99_MS = 50.0
KEY_TIMEOUT = 5.0
CONSOLE_TIMEOUT = 20.0
POWER_FIRST = 15.0  # the first power cycle, seconds after the load starts


# -- measures -------------------------------------------------------------------------------


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def task_name(task: asyncio.Task[object]) -> str:
    coro = task.get_coro()
    return str(getattr(coro, "__qualname__", task.get_name()))


async def floor_readings() -> tuple[int, set[asyncio.Task[object]]]:
    """The fewest open fds and tasks over a second: connections of a poll round in
    flight come and go; a leak raises the floor."""
    fds, tasks = open_fds(), asyncio.all_tasks()
    for _ in range(10):
        await asyncio.sleep(0.1)
        fds = min(fds, open_fds())
        now = asyncio.all_tasks()
        if len(now) < len(tasks):
            tasks = now
    return fds, tasks


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class LagProbe:
    """A callback due every LAG_PERIOD; how late it runs is the loop's lag."""

    def __init__(self) -> None:
        self.lags: list[float] = []  # seconds, all of the run
        self._mark = 0
        self._handle: asyncio.TimerHandle | None = None

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time() + LAG_PERIOD

        def tick() -> None:
            nonlocal due
            now = loop.time()
            self.lags.append(max(0.0, now - due))
            due = now + LAG_PERIOD
            self._handle = loop.call_at(due, tick)

        self._handle = loop.call_at(due, tick)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()

    def window(self) -> list[float]:
        """The lags since the last call."""
        window, self._mark = self.lags[self._mark :], len(self.lags)
        return window


@dataclass
class Sample:
    at: float
    rss: float
    fds: int
    tasks: int
    lag_p50: float
    lag_p99: float
    lag_max: float
    key_ms: float | None  # None: the selection never moved
    console_ms: float | None  # None: the console never came back
    fault: str
    fault_index: int
    cycles: str
    flood_mb: float
    shown_mb: float
    transcript_mb: float
    poll_age: float | None
    task_names: Counter[str] = field(default_factory=Counter)


@dataclass
class Counters:
    faults: int = 0
    fault_now: str = "-"
    fault_index: int = -1  # in the rotation; -1 before the first
    cycles_ok: int = 0
    cycles_failed: int = 0
    cycle_errors: list[str] = field(default_factory=list)
    flood_bytes: int = 0
    floods_refused: int = 0
    shown_bytes: int = 0  # parsed by the console's terminal view (the display path)
    loop_errors: list[str] = field(default_factory=list)  # exceptions no one caught


# -- the load -------------------------------------------------------------------------------


def fault_rotation(layout: Layout, console_host: str, staging: str) -> list[Fault]:
    """Every FaultKind at least once: SSH faults on the production servers in turn,
    strip faults on the strip, and the flooded console's port dropped."""
    servers = [
        name
        for name, device in layout.devices.items()
        if device.state is Lifecycle.PRODUCTION
        and device.services
        and name not in (console_host, staging)
    ]
    strip = f"pdu:{next(iter(layout.pdus))}"
    rotation: list[Fault] = []
    for index, kind in enumerate(FaultKind):
        if kind in (FaultKind.PDU_BUSY, FaultKind.PDU_ERROR):
            rotation.append(Fault(kind, strip))
        elif kind is FaultKind.SERVICE_DOWN:
            host = next(name for name in servers if layout.devices[name].services)
            rotation.append(Fault(kind, host, layout.devices[host].services[0].name))
        else:
            rotation.append(Fault(kind, servers[index % len(servers)]))
    rotation.append(Fault(FaultKind.DROP_MID_COMMAND, f"console:{console_host}"))
    rotation.append(Fault(FaultKind.REFUSED, strip))
    return rotation


async def every(
    seconds: float, action: Callable[[], Awaitable[None]], first: float | None = None
) -> None:
    """`action` after `first` seconds (default: `seconds`), then every `seconds`."""
    await asyncio.sleep(seconds if first is None else first)
    while True:
        await action()
        await asyncio.sleep(seconds)


async def at_fixed_rate(
    seconds: float, action: Callable[[], Awaitable[None]], start: float
) -> None:
    """`action` at `start`, `start + seconds`, … (a late one does not shift the rest)."""
    due = start
    while True:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        await action()
        due += seconds
        while due < time.monotonic():
            due += seconds


async def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(step)
    return True


class Soak:
    def __init__(self, args: argparse.Namespace, lab: Lab, app: RackApp, layout: Layout) -> None:
        self.args = args
        self.lab = lab
        self.app = app
        self.layout = layout
        self.counters = Counters()
        self.rotation = fault_rotation(layout, args.console_host, args.staging)
        self.lag = LagProbe()
        self.samples: list[Sample] = []
        self.started = time.monotonic()
        self._direction = 1
        self.first_snapshot: tracemalloc.Snapshot | None = None
        self.last_snapshot: tracemalloc.Snapshot | None = None

    # -- console ----------------------------------------------------------------

    def console_screen(self) -> ConsoleScreen | None:
        screen = self.app.screen
        if isinstance(screen, ConsoleScreen) and screen.session.host == self.args.console_host:
            return screen
        return None

    async def open_console(self, pilot: Pilot[int]) -> float | None:
        """`c` on the console host in the rack; milliseconds until its screen shows."""
        rack = self.app.rack_screen.current_rack()
        assert rack is not None
        rack.select(self.args.console_host)
        started = time.monotonic()
        press = asyncio.create_task(pilot.press("c"))
        opened = await wait_until(lambda: self.console_screen() is not None, CONSOLE_TIMEOUT)
        await press
        if not opened:
            return None
        return (time.monotonic() - started) * 1000

    async def log_in(self) -> None:
        screen = self.console_screen()
        assert screen is not None, "the console did not open"
        for line in (b"\r", b"root\r", b"soak\r"):
            screen.session.send(line)
            await asyncio.sleep(0.3)
        prompt = f"root@{self.args.console_host}:~#"
        if not await wait_until(lambda: prompt in screen.terminal.text(), CONSOLE_TIMEOUT):
            raise RuntimeError(f"no shell prompt on {self.args.console_host}'s console")

    async def flood(self) -> None:
        """One second's worth of the lab's `flood N`, typed into the session."""
        consoles = self.app.site.consoles
        session = consoles.sessions.get(self.args.console_host) if consoles else None
        if session is not None and session.send(b"flood %d\r" % self.args.flood):
            self.counters.flood_bytes += self.args.flood
        else:
            self.counters.floods_refused += 1

    # -- faults and power ------------------------------------------------------

    async def next_fault(self) -> None:
        world = self.lab.world
        world.clear()
        fault = self.rotation[self.counters.faults % len(self.rotation)]
        world.inject(fault)
        self.counters.faults += 1
        self.counters.fault_now = f"{fault.kind.value} {fault.target}"
        self.counters.fault_index = (self.counters.faults - 1) % len(self.rotation)

    async def power_cycle(self) -> None:
        power = self.app.site.power_service()
        assert power is not None
        try:
            result = await asyncio.wait_for(
                power.act(self.args.staging, PowerAction.CYCLE, confirmation="soak"), 120
            )
        except Exception as error:  # counted and shown, the soak goes on
            self.counters.cycles_failed += 1
            self.counters.cycle_errors.append(f"{type(error).__name__}: {error}"[:120])
            return
        if result.ok:
            self.counters.cycles_ok += 1
        else:
            self.counters.cycles_failed += 1
            strip = self.lab.pdu  # who holds the card's only CLI session, if anyone
            self.counters.cycle_errors.append(
                f"{result.message[:120]} [lab strip: a session open {strip._session_open}, "
                f"{len(strip._connections)} held; fault then: {self.counters.fault_now}]"
            )

    # -- samples ----------------------------------------------------------------

    async def key_check(self, pilot: Pilot[int]) -> tuple[float | None, float | None]:
        """Back to the rack, move the selection with a key, reopen the console."""
        screen = self.console_screen()
        if screen is not None:
            self.counters.shown_bytes += screen.terminal.fed_bytes
            await pilot.press("ctrl+right_square_bracket", "w")
            await wait_until(lambda: self.console_screen() is None, KEY_TIMEOUT)
        while len(self.app.screen_stack) > 1 and self.console_screen() is None:
            await pilot.press("escape")  # a dialog left over would eat the keys
        rack = self.app.rack_screen.current_rack()
        assert rack is not None
        before = rack.selected
        key = "j" if self._direction > 0 else "k"
        started = time.monotonic()
        press = asyncio.create_task(pilot.press(key))  # Pilot's own waits are not the app's
        moved = await wait_until(lambda: rack.selected != before, KEY_TIMEOUT, step=0.002)
        key_ms = (time.monotonic() - started) * 1000 if moved else None
        await press
        if rack.selected == before:
            self._direction = -self._direction  # at an end of the rack: turn round
            await pilot.press("k" if key == "j" else "j")
            if key_ms is None and rack.selected != before:
                key_ms = (time.monotonic() - started) * 1000
        return key_ms, await self.open_console(pilot)

    async def sample(self, pilot: Pilot[int]) -> Sample:
        key_ms, console_ms = await self.key_check(pilot)
        lags = self.lag.window()
        poller = self.app.site.poller
        last = poller.last_round if poller is not None else None
        transcript = transcript_path(self.args.console_host)
        c = self.counters
        fds, tasks = await floor_readings()
        sample = Sample(
            at=time.monotonic() - self.started,
            rss=rss_mb(),
            fds=fds,
            tasks=len(tasks),
            lag_p50=percentile(lags, 0.5) * 1000,
            lag_p99=percentile(lags, 0.99) * 1000,
            lag_max=max(lags, default=0.0) * 1000,
            key_ms=key_ms,
            console_ms=console_ms,
            fault=c.fault_now,
            fault_index=c.fault_index,
            cycles=f"{c.cycles_ok}/{c.cycles_failed}",
            flood_mb=c.flood_bytes / 1e6,
            shown_mb=c.shown_bytes / 1e6,
            transcript_mb=transcript.stat().st_size / 1e6 if transcript.exists() else 0.0,
            poll_age=time.time() - last.started if last is not None else None,
            task_names=Counter(task_name(task) for task in tasks),
        )
        self.samples.append(sample)
        print(row(sample), flush=True)
        if self.args.count_objects:
            live = [o for o in gc.get_objects() if isinstance(o, Widget)]
            screens = sum(isinstance(o, Screen) for o in live)
            notes = len(self.app._notifications)
            kinds = ", ".join(
                f"{kind} {n}" for kind, n in Counter(type(o).__name__ for o in live).most_common(4)
            )
            print(
                f"{'':>6} live widgets {len(live)} ({kinds}), screens {screens}, "
                f"notifications kept {notes}",
                flush=True,
            )
        if tracemalloc.is_tracing():
            snapshot = tracemalloc.take_snapshot()
            if len(self.samples) == 2:  # the first under load
                self.first_snapshot = snapshot
            self.last_snapshot = snapshot
        return sample

    def _loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
        error = context.get("exception")
        where = str(context.get("message", ""))[:80]
        self.counters.loop_errors.append(
            f"{type(error).__name__}: {str(error)[:100]} (in {where})" if error else where
        )
        loop.default_exception_handler(context)

    async def run(self, pilot: Pilot[int]) -> None:
        asyncio.get_running_loop().set_exception_handler(self._loop_error)
        self.lag.start()
        if await self.open_console(pilot) is None:
            raise RuntimeError(f"c did not open {self.args.console_host}'s console")
        await self.log_in()
        print(HEADER, flush=True)
        self.lag.window()  # the start-up is not the soak
        await self.sample(pilot)
        load = time.monotonic()  # faults and samples keep in step from here (fixed rates)
        loops = [
            asyncio.create_task(at_fixed_rate(self.args.fault_seconds, self.next_fault, load)),
            asyncio.create_task(every(1.0, self.flood)),
            asyncio.create_task(
                every(self.args.power_seconds, self.power_cycle, first=POWER_FIRST)
            ),
        ]
        try:
            # mid-way through a fault, so that sample k always meets the same one of
            # the rotation as sample k + rotation period / sample period
            due = load + self.args.sample_seconds + self.args.fault_seconds / 2
            while due <= self.started + self.args.minutes * 60 + 1:
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                await self.sample(pilot)
                due += self.args.sample_seconds
        finally:
            for task in loops:
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            self.lab.world.clear()
            self.lag.stop()


HEADER = (
    f"{'t s':>6} {'RSS MB':>7} {'fds':>4} {'tasks':>5} {'lag p50':>7} {'p99':>6} {'max':>6} "
    f"{'key ms':>6} {'con ms':>6} {'cycles':>6} {'flood MB':>8} {'shown':>6} {'trans':>6} "
    f"{'poll':>5}  fault"
)


def row(s: Sample) -> str:
    def ms(value: float | None) -> str:
        return "FAIL" if value is None else f"{value:.0f}"

    poll = "-" if s.poll_age is None else f"{s.poll_age:.0f}s"
    return (
        f"{s.at:>6.0f} {s.rss:>7.1f} {s.fds:>4} {s.tasks:>5} {s.lag_p50:>7.1f} {s.lag_p99:>6.1f} "
        f"{s.lag_max:>6.1f} {ms(s.key_ms):>6} {ms(s.console_ms):>6} {s.cycles:>6} "
        f"{s.flood_mb:>8.1f} {s.shown_mb:>6.1f} {s.transcript_mb:>6.1f} {poll:>5}  {s.fault}"
    )


def report(soak: Soak) -> bool:
    samples = soak.samples
    print()
    print(HEADER)
    for sample in samples:
        print(row(sample))
    if len(samples) < 3:
        print("not enough samples for growth figures")
        return False
    idle, last = samples[0], samples[-1]
    # the baseline: the first sample under load that met the same fault as the last
    # one (connections and tasks depend on which host is faulty), else the first
    same = [s for s in samples[1:-1] if s.fault_index == last.fault_index]
    first = same[0] if same else samples[1]
    baseline = "the same fault" if same else "a different fault (a run shorter than a rotation)"
    lags = [lag * 1000 for lag in soak.lag.lags]
    p50, p99, worst = percentile(lags, 0.5), percentile(lags, 0.99), max(lags, default=0.0)
    c = soak.counters
    minutes = (last.at - first.at) / 60
    print()
    print(
        f"growth over {minutes:.1f} min, from the first sample under load with {baseline} "
        f"(t={first.at:.0f} s) to the last (t={last.at:.0f} s); from the idle start "
        f"(t={idle.at:.0f} s) in brackets:"
    )
    print(
        f"  RSS   {first.rss:.1f} → {last.rss:.1f} MB  growth {last.rss - first.rss:+.1f} MB "
        f"({last.rss - idle.rss:+.1f})"
    )
    print(
        f"  fds   {first.fds} → {last.fds}  growth {last.fds - first.fds:+d} "
        f"({last.fds - idle.fds:+d})"
    )
    print(
        f"  tasks {first.tasks} → {last.tasks}  growth {last.tasks - first.tasks:+d} "
        f"({last.tasks - idle.tasks:+d})"
    )
    changed = {
        name: last.task_names[name] - first.task_names[name]
        for name in sorted(set(first.task_names) | set(last.task_names))
        if last.task_names[name] != first.task_names[name]
    }
    if changed:
        print("    tasks that changed: " + ", ".join(f"{n} {d:+d}" for n, d in changed.items()))
    print(f"  loop lag p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {worst:.1f} ms ({len(lags)} probes)")
    keys = [s.key_ms for s in samples if s.key_ms is not None]
    print(
        f"  keys answered {len(keys)}/{len(samples)}, worst {max(keys, default=0):.0f} ms; "
        f"console reopened {sum(s.console_ms is not None for s in samples)}/{len(samples)}"
    )
    print(
        f"  faults injected {c.faults} (rotation of {len(soak.rotation)}); "
        f"power cycles of {soak.args.staging} ok {c.cycles_ok}, failed {c.cycles_failed}; "
        f"flood {c.flood_bytes / 1e6:.1f} MB asked ({c.floods_refused} seconds refused)"
    )
    for error in c.cycle_errors:
        print(f"    cycle failure: {error}")
    print(f"  exceptions that reached the event loop uncaught: {len(c.loop_errors)}")
    for error, count in Counter(c.loop_errors).most_common():
        print(f"    {count} × {error}")
    if soak.first_snapshot is not None and soak.last_snapshot is not None:
        print("  Python allocations that grew most, first sample under load → last:")
        noise = [tracemalloc.Filter(False, tracemalloc.__file__)]
        growth = soak.last_snapshot.filter_traces(noise).compare_to(
            soak.first_snapshot.filter_traces(noise), "lineno"
        )
        for stat in growth[:15]:
            frame = stat.traceback[0]
            print(
                f"    {stat.size_diff / 1e6:+7.2f} MB {stat.count_diff:+8d} blocks  "
                f"{frame.filename}:{frame.lineno}"
            )
    goals = [
        ("RSS growth ≤ 5 MB", last.rss - first.rss <= GOAL_RSS_MB),
        ("no growth in fds", last.fds <= first.fds),
        ("no growth in tasks", last.tasks <= first.tasks),
        ("loop lag p99 ≤ 50 ms", p99 <= GOAL_LAG_P99_MS),
        ("every key answered", len(keys) == len(samples)),
        ("the console came back every time", all(s.console_ms is not None for s in samples)),
        ("no exception reached the event loop", not c.loop_errors),
    ]
    print("goals (for 60 minutes):")
    for text, met in goals:
        print(f"  {'met ' if met else 'MISS'} {text}")
    return all(met for _text, met in goals)


async def soak(args: argparse.Namespace, folder: Path) -> tuple[Soak | None, bool]:
    async with Lab(folder / "lab", boot_seconds=args.boot_seconds) as lab:
        result = load_layout(lab.layout_path)
        assert result.layout is not None and not result.errors, result.errors
        app = build_app(result.layout, lab.layout_path, result.errors, interval=args.interval)
        run = Soak(args, lab, app, result.layout)
        print(
            f"soak: {args.minutes:g} min, console {args.console_host} flooded "
            f"{args.flood} B/s, a fault every {args.fault_seconds:g} s over "
            f"{len(run.rotation)} ({', '.join(sorted({f.kind.value for f in run.rotation}))}), "
            f"{args.staging} power-cycled every {args.power_seconds:g} s, polls every "
            f"{args.interval:g} s, a sample every {args.sample_seconds:g} s",
            flush=True,
        )
        async with app.run_test(size=(100, 30)) as pilot:
            await run.run(pilot)
    return run, report(run)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--sample-seconds", type=float, default=10.0)
    parser.add_argument("--fault-seconds", type=float, default=5.0)
    parser.add_argument("--power-seconds", type=float, default=60.0)
    parser.add_argument("--flood", type=int, default=50_000, help="bytes a second")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between polls")
    parser.add_argument("--boot-seconds", type=float, default=3.0)
    parser.add_argument("--console-host", default="elsa")
    parser.add_argument("--staging", default="eyra", help="the host power-cycled (staging)")
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="trace Python allocations (slower) and show those that grew most",
    )
    parser.add_argument(
        "--count-objects",
        action="store_true",
        help="count live widgets and screens at each sample (gc: adds lag to the figures)",
    )
    args = parser.parse_args()
    if args.tracemalloc:
        tracemalloc.start(1)

    watchdog_seconds = args.minutes * 60 + 300

    def watchdog() -> None:  # a hung teardown (a thread, a socket) must not hang the soak
        time.sleep(watchdog_seconds)
        print(f"soak: still running {watchdog_seconds:.0f} s after start: cut", flush=True)
        os._exit(2)

    threading.Thread(target=watchdog, daemon=True).start()
    with tempfile.TemporaryDirectory(prefix="lautre-soak-") as folder:
        os.environ["XDG_STATE_HOME"] = str(Path(folder) / "state")
        os.environ["XDG_CONFIG_HOME"] = str(Path(folder) / "config")
        for name in ("LAUTRE_TUI_LAYOUT", "LAUTRE_TUI_STATE_DIR", "LAUTRE_TUI_AUDIT_LOG"):
            os.environ.pop(name, None)
        with contextlib.suppress(KeyboardInterrupt):
            _run, met = asyncio.run(soak(args, Path(folder)))
            return 0 if met else 1
    return 1


if __name__ == "__main__":
    sys.exit(main())
