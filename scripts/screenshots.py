"""Save SVG screenshots of the main screen into screenshots/ for the README.

Run from the repository: `.venv/bin/python scripts/screenshots.py`. The app is
built exactly as `lautre-tui` builds it, and driven headlessly with Pilot.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from lautre_tui.cli.tui import build_app
from lautre_tui.model.loader import load_layout

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "screenshots"
LAYOUT = REPO / "layouts" / "lautre.yaml"


async def shoot(name: str, size: tuple[int, int], keys: list[str]) -> Path:
    result = load_layout(LAYOUT)
    assert result.layout is not None, result.errors
    app = build_app(result.layout, Path("layouts/lautre.yaml"), result.errors)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press(*keys)
        await pilot.pause(0.2)
        path = OUT / f"{name}.svg"
        app.save_screenshot(filename=path.name, path=str(OUT))
    return path


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    shots = [
        ("rack-80x24", (80, 24), ["j", "j", "j", "j", "j", "j", "j", "j", "j"]),
        ("rack-160x48", (160, 48), ["j", "j", "j", "j", "j", "j", "j", "j", "j"]),
        ("help-80x24", (80, 24), ["question_mark"]),
    ]
    for name, size, keys in shots:
        print(await shoot(name, size, keys))


if __name__ == "__main__":
    asyncio.run(main())
