"""Live status in the app, against the lab: the app is the one `lautre-tui` builds."""

from __future__ import annotations

from textual.widgets import Static

from lautre_tui.cli.tui import build_app
from lautre_tui.lab.runner import Lab
from lautre_tui.lab.world import Fault, FaultKind
from lautre_tui.ui.status_bar import StatusBar
from tests.lab_helpers import eventually, lab_layout, presents_another_key
from tests.test_ui_rack import _plain, rack_lines


async def test_rack_pane_and_status_bar_follow_the_lab(lab: Lab) -> None:
    lab.world.inject(Fault(FaultKind.HOST_KEY_CHANGED, "ella"))
    await eventually(lambda: presents_another_key(lab, "ella"))
    app = build_app(lab_layout(lab), lab.layout_path, interval=60)
    async with app.run_test(size=(80, 24)) as pilot:
        await eventually(lambda: app.poller is not None and app.poller.last_round is not None)
        await pilot.pause()
        lines = {line.split()[2]: line for line in rack_lines(app) if "▌" in line}
        assert "● eva" in lines["eva"]
        assert "✖ ella" in lines["ella"]
        assert "◌ estelle" in lines["estelle"]
        assert "◇ eyra" in lines["eyra"]
        bar = str(app.query_one(StatusBar).render())
        assert "●6 " in bar and "✖1 " in bar  # five up, estelle off as expected
        assert any("HOST KEY CHANGED" in (n.title or "") for n in app._notifications)
        rack = app.current_rack()
        assert rack is not None
        rack.select("emma")
        await pilot.pause()
        pane = _plain(app.query_one("#device-info", Static))
        assert "OK web" in pane and "Load" in pane and "Uptime" in pane
        lab.world.inject(Fault(FaultKind.SERVICE_DOWN, "emma", "web"))
        for _ in range(3):  # soft, soft, hard: r polls the selected host now
            before = app.poller.last_round if app.poller else None
            await pilot.press("r")
            await eventually(
                lambda b=before: app.poller is not None and app.poller.last_round is not b  # type: ignore[misc]
            )
        await pilot.pause()
        pane = _plain(app.query_one("#device-info", Static))
        assert "CRITICAL web" in pane
        assert "✖ emma" in "\n".join(rack_lines(app))
