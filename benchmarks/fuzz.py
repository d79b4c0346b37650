"""The three fuzzers of `tests/test_fuzz.py`, 10,000 examples each.

Same strategies and checks as the test suite (imported, not copied): the
terminal's feed, the layout loader and the probe parser. For each, prints the
examples run (shrinking included), the distinct failures met and the time.
Exits 1 when any fuzzer failed. Run from the repository:
`.venv/bin/python benchmarks/fuzz.py [--examples 10000] [--only terminal]`.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for `tests`

from hypothesis import given
from hypothesis import strategies as st

from tests.test_fuzz import (
    check_loader,
    check_probe,
    check_terminal,
    fuzz_settings,
    layout_texts,
    probe_expected,
    probe_texts,
    terminal_inputs,
)


@dataclass
class Run:
    name: str
    examples: int = 0
    failures: dict[str, str] = field(default_factory=dict)  # where -> first message
    seconds: float = 0.0
    falsifying: str = ""


def where(error: BaseException) -> str:
    """A failure's identity: its type and the innermost line of our code or pyte's."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "lautre_tui" in f.filename or "pyte" in f.filename] or frames
    last = ours[-1] if ours else None
    place = f"{Path(last.filename).name}:{last.lineno}" if last else "?"
    return f"{type(error).__name__} at {place}"


def fuzz(name: str, strategy: st.SearchStrategy[Any], check: Callable[..., Any], n: int) -> Run:
    run = Run(name)

    def one(case: Any) -> None:
        run.examples += 1
        try:
            check(*case)
        except Exception as error:
            run.failures.setdefault(where(error), f"{type(error).__name__}: {error}"[:200])
            raise

    test = fuzz_settings(n)(given(strategy)(one))
    started = time.perf_counter()
    try:
        test()
    except Exception as error:  # hypothesis re-raises the shrunk failure
        run.falsifying = "".join(traceback.format_exception_only(type(error), error))[-600:]
    run.seconds = time.perf_counter() - started
    return run


FUZZERS: dict[str, tuple[st.SearchStrategy[Any], Callable[..., Any]]] = {
    "terminal": (terminal_inputs, check_terminal),
    "loader": (layout_texts.map(lambda text: (text,)), check_loader),
    "probe": (st.tuples(probe_texts, probe_expected), check_probe),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000, help="per fuzzer")
    parser.add_argument("--only", choices=sorted(FUZZERS), action="append")
    args = parser.parse_args()
    runs = []
    for name in args.only or list(FUZZERS):
        strategy, check = FUZZERS[name]
        print(f"fuzzing {name}: {args.examples} examples…", flush=True)
        run = fuzz(name, strategy, check, args.examples)
        runs.append(run)
        for place, message in run.failures.items():
            print(f"  failure: {place}: {message}")
        if run.falsifying:
            print("  " + run.falsifying.strip().replace("\n", "\n  "))
    print()
    print(f"{'fuzzer':<10} {'examples':>9} {'failures':>9} {'seconds':>8} {'per s':>7}")
    for run in runs:
        rate = run.examples / run.seconds if run.seconds else 0.0
        print(
            f"{run.name:<10} {run.examples:>9} {len(run.failures):>9} "
            f"{run.seconds:>8.1f} {rate:>7.0f}"
        )
    return 1 if any(run.failures for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
