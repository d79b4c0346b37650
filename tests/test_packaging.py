"""A non-editable install ships L'Autre Net's layout inside the package."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

# An editable install of this checkout (the developer's venv, CI's) adds an import
# hook that would quietly supply any module the built package forgot: drop it.
ONLY_INSTALLED = (
    "import sys; sys.meta_path[:] = [f for f in sys.meta_path "
    "if 'editable' not in getattr(f, '__module__', '') "
    "and 'editable' not in type(f).__module__]; "
)


def test_every_package_is_listed_in_pyproject() -> None:
    text = (REPO / "pyproject.toml").read_text()  # tomllib is Python 3.11+, we run on 3.10
    start = text.index("packages = [")
    listed = set(re.findall(r'"([a-z_.]+)"', text[start : text.index("]", start)]))
    on_disk = {
        ".".join(path.parent.relative_to(REPO).parts)
        for path in (REPO / "lautre_tui").rglob("__init__.py")
    }
    assert on_disk | {"lautre_tui.layouts"} == listed


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
            "--no-build-isolation",  # the test extra's setuptools: no download
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
        ONLY_INSTALLED + "import lautre_tui, lautre_tui.locations as l; "
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
        [
            sys.executable,
            "-c",
            ONLY_INSTALLED + "import runpy; runpy.run_module('lautre_tui', run_name='__main__')",
            "validate",
            layout,
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith(f"OK: {layout}: 17 devices in 1 rack")
