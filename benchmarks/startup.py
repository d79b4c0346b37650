"""Time from the shell to the first painted rack, at 80x24 under tmux.

Side by side with the floor: a bare Textual app that paints one word. Each is
started in a fresh tmux window; the screen is read every 5 ms until the marker
text appears. Our package is byte-compiled first, as `pip install` does: an
editable install under PYTHONDONTWRITEBYTECODE would otherwise compile every
module at each start, which no installed bastion does.
Run: `.venv/bin/python benchmarks/startup.py [--runs N]`.
"""

from __future__ import annotations

import argparse
import compileall
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
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("tmux is needed (apt install tmux)")
    compileall.compile_dir(REPO / "lautre_tui", quiet=1)
    with tempfile.TemporaryDirectory() as folder:
        bare = Path(folder) / "bare.py"
        bare.write_text(BARE_APP)
        layout = Path(args.layout) if args.layout else REPO / "layouts" / "lautre.yaml"
        ours_cmd = f"{sys.executable} -m lautre_tui --layout {layout}"
        bare_cmd = f"{sys.executable} {bare}"
        ours: list[float] = []
        floor: list[float] = []
        # One session lives throughout: the tmux server must not exit (and restart)
        # between two runs, which made a `new-session` fail now and then.
        subprocess.run(["tmux", "new-session", "-d", "-s", "bench-keep", "sleep 3600"], check=True)
        try:
            for run in range(args.runs):
                floor.append(time_to_marker(bare_cmd, "bare-painted", f"bench-bare-{run}"))
                ours.append(time_to_marker(ours_cmd, "apc", f"bench-ours-{run}"))
        finally:
            subprocess.run(["tmux", "kill-session", "-t", "bench-keep"], check=False)
    ours_median = statistics.median(ours)
    floor_median = statistics.median(floor)
    print(f"runs: {args.runs} each, 80x24 in tmux")
    print(f"bare Textual app, first paint: median {floor_median * 1000:.0f} ms")
    print(
        f"lautre-tui rack, first paint:  median {ours_median * 1000:.0f} ms "
        f"(min {min(ours) * 1000:.0f}, max {max(ours) * 1000:.0f})"
    )
    print(f"ratio to the bare app: {ours_median / floor_median:.2f}x")


if __name__ == "__main__":
    main()
