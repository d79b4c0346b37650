"""A non-editable install ships L'Autre Net's layout inside the package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_the_built_package_finds_its_own_layout(tmp_path: Path, cli_env: dict[str, str]) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    assert (target / "lautre_tui" / "layouts" / "lautre.yaml").is_file()
    env = dict(cli_env, PYTHONPATH=str(target))
    probe = (
        "import lautre_tui, lautre_tui.locations as l; "
        "print(lautre_tui.__file__); print(l.shipped_layout())"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    package_file, layout = done.stdout.split()
    assert package_file.startswith(str(target))
    assert layout == str(target / "lautre_tui" / "layouts" / "lautre.yaml")
    checked = subprocess.run(
        [sys.executable, "-m", "lautre_tui", "validate", layout],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith(f"OK: {layout}: 17 devices in 1 racks")
