"""Time from the shell to the first painted rack, at 80x24 under tmux.

Side by side with the floor: a bare Textual app that paints one word. Each is
started in a fresh tmux window; the screen is read every 5 ms until the marker
text appears. Our package is byte-compiled first, as `pip install` does: an
editable install under PYTHONDONTWRITEBYTECODE would otherwise compile every
module at each start, which no installed bastion does.

The app keeps loaded layouts in its cache folder: the usual start finds the
layout there (warm); the first start after the layout changed reads the YAML
(cold, measured with an empty cache folder each time).
Run: `.venv/bin/python benchmarks/startup.py [--runs N] [--hosts 1000 | --layout FILE]`.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BARE_APP = """
from textual.app import App
from textual.widgets import Static
class Bare(App[None]):
    def compose(self):
        yield Static("bare-painted")
Bare().run()
"""


def time_to_marker(command: str, marker: str, session: str) -> float:
    """Seconds from starting `command` in a new 80x24 tmux session until `marker` shows."""
    started = time.perf_counter()
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command], check=True
    )
    try:
        while time.perf_counter() - started < 20:
            screen = subprocess.run(
                ["tmux", "capture-pane", "-p", "-t", session],
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            if marker in screen:
                return time.perf_counter() - started
            time.sleep(0.005)
        raise TimeoutError(f"{marker!r} never appeared for {command!r}")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--layout", help="layout to show (default: layouts/lautre.yaml)")
    parser.add_argument("--hosts", type=int, help="show the lab's layout with N generated hosts")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("tmux is needed (apt install tmux)")
    compileall.compile_dir(REPO / "lautre_tui", quiet=1)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        bare = folder / "bare.py"
        bare.write_text(BARE_APP)
        layout = Path(args.layout) if args.layout else REPO / "layouts" / "lautre.yaml"
        if args.hosts:
            import yaml

            from lautre_tui.lab.runner import lab_layout_data

            layout = folder / f"layout-{args.hosts}.yaml"
            layout.write_text(yaml.safe_dump(lab_layout_data(args.hosts), sort_keys=False))
        ours_cmd = f"{sys.executable} -m lautre_tui --layout {layout}"
        bare_cmd = f"{sys.executable} {bare}"
        cache = f"XDG_CACHE_HOME={folder / 'cache'}"
        times: dict[str, list[float]] = {"bare": [], "warm": [], "cold": []}
        # One session lives throughout: the tmux server must not exit (and restart)
        # between two runs, which made a `new-session` fail now and then.
        subprocess.run(["tmux", "new-session", "-d", "-s", "bench-keep", "sleep 3600"], check=True)
        try:
            time_to_marker(f"{cache} {ours_cmd}", "apc", "bench-prime")  # fills the cache
            for run in range(args.runs):
                times["bare"].append(time_to_marker(bare_cmd, "bare-painted", f"bare-{run}"))
                times["warm"].append(time_to_marker(f"{cache} {ours_cmd}", "apc", f"warm-{run}"))
                empty = f"XDG_CACHE_HOME={folder / f'empty-{run}'}"
                times["cold"].append(time_to_marker(f"{empty} {ours_cmd}", "apc", f"cold-{run}"))
        finally:
            subprocess.run(["tmux", "kill-session", "-t", "bench-keep"], check=False)
    floor = statistics.median(times["bare"])
    print(f"runs: {args.runs} each, 80x24 in tmux, {os.cpu_count()} cores; layout: {layout.name}")
    print(f"bare Textual app, first paint: median {floor * 1000:.0f} ms")
    for kind, said in (("warm", "layout from the cache"), ("cold", "first start, YAML read")):
        found = times[kind]
        median = statistics.median(found)
        print(
            f"lautre-tui rack, {said}: median {median * 1000:.0f} ms "
            f"(min {min(found) * 1000:.0f}, max {max(found) * 1000:.0f}), "
            f"{median / floor:.2f}x the bare app"
        )


if __name__ == "__main__":
    main()
