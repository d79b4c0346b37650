"""Live status in the app, against the lab: the app is the one `lautre-tui` builds."""

from __future__ import annotations

from textual.widgets import Static

from lautre_tui.cli.tui import build_app
from lautre_tui.lab.runner import Lab
from lautre_tui.lab.world import Fault, FaultKind
from lautre_tui.model.health import SEVERITY, Verdict
from lautre_tui.ui.status_bar import StatusBar
from tests.app_helpers import a_round_after, go_to, last_round
from tests.lab_helpers import eventually, lab_layout, presents_another_key
from tests.test_ui_rack import _plain, rack_lines


async def test_rack_pane_and_status_bar_follow_the_lab(lab: Lab) -> None:
    lab.world.inject(Fault(FaultKind.HOST_KEY_CHANGED, "ella"))
    await eventually(lambda: presents_another_key(lab, "ella"))
    app = build_app(lab_layout(lab), lab.layout_path, interval=60)
    async with app.run_test(size=(80, 24)) as pilot:
        await a_round_after(app)
        await pilot.pause()
        lines = {line.split()[2]: line for line in rack_lines(app) if "▌" in line}
        assert "● eva" in lines["eva"]
        assert "✖ ella" in lines["ella"]
        assert "◌ estelle" in lines["estelle"]
        assert "◇ eyra" in lines["eyra"]
        bar = str(app.query_one(StatusBar).render())
        # five servers up, estelle off as expected, the two switches, the console server and
        # the strip (its card)
        assert "●10 " in bar and "✖1 " in bar
        assert any("HOST KEY CHANGED" in (n.title or "") for n in app._notifications)
        go_to(app, "emma")
        await pilot.pause()
        pane = _plain(app.query_one("#device-info", Static))
        web = next(line for line in pane.splitlines() if line.startswith("● web "))
        assert "process apache2" in web and "Load" in pane and "Uptime" in pane
        lab.world.inject(Fault(FaultKind.SERVICE_DOWN, "emma", "web"))
        seen: list[str] = []
        for _ in range(3):  # soft, soft, hard: r polls the selected host now
            before = last_round(app)
            await pilot.press("r")
            await a_round_after(app, before)
            await pilot.pause()
            pane = _plain(app.query_one("#device-info", Static))
            seen.append(pane.splitlines()[1])  # failing checks come first, right after the state
        assert seen[0].startswith("✕ web CRITICAL (soft 1/3): ")
        assert seen[1].startswith("✕ web CRITICAL (soft 2/3): ")
        assert seen[2].startswith("✖ web: ")
        assert "✖ emma" in "\n".join(rack_lines(app))


async def test_the_problems_view_lists_what_is_wrong_worst_first(lab: Lab) -> None:
    from textual.widgets import OptionList

    from lautre_tui.ui.problems_screen import ProblemsScreen

    lab.world.inject(Fault(FaultKind.SERVICE_DOWN, "emma", "web"))
    lab.world.inject(Fault(FaultKind.REFUSED, "elea"))
    app = build_app(lab_layout(lab), lab.layout_path, interval=60)
    async with app.run_test(size=(80, 24)) as pilot:
        await a_round_after(app)
        assert app.site.poller is not None

        def hard() -> bool:
            """Both failures confirmed. A refused host is retried with back-off, and is
            "behind a switch" when a switch's check is late on a loaded machine: the
            number of rounds varies, and so may elea's exact state."""
            health = app.site.health
            return (
                "elea" in health
                and "emma" in health
                and health["elea"].verdict in (Verdict.DOWN, Verdict.BEHIND)
                and health["emma"].verdict is Verdict.CRITICAL
            )

        for _ in range(20):
            if hard():
                break
            before = last_round(app)
            app.site.poller.poll_now()
            await a_round_after(app, before)
        assert hard(), [(n, h.verdict) for n, h in app.site.health.items() if n[0] == "e"]
        await pilot.press("exclamation_mark")
        await eventually(lambda: isinstance(app.screen, ProblemsScreen))
        options = app.screen.query_one(OptionList)
        lines = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        shown = [line.split()[1] for line in lines]
        assert set(shown) >= {"elea", "emma"}
        severity = [SEVERITY[app.site.health[name].exit_code] for name in shown]
        assert severity == sorted(severity, reverse=True)  # the worst first
        assert lines[shown.index("elea")].startswith("▼ elea")
        assert "web: CRITICAL" in lines[shown.index("emma")]
        assert all(len(line) <= 76 for line in lines)
        await pilot.press("down", "enter")  # the second line, whichever it is
        await eventually(lambda: not isinstance(app.screen, ProblemsScreen))
        selected = app.rack_screen.selected_device
        assert selected is not None and selected.name == shown[1]


async def test_a_soft_failure_shows_in_the_rack_before_it_is_hard(lab: Lab) -> None:
    app = build_app(lab_layout(lab), lab.layout_path, interval=60)
    async with app.run_test(size=(80, 24)) as pilot:
        await a_round_after(app)
        lab.world.inject(Fault(FaultKind.SERVICE_DOWN, "elsa", "mailman"))
        go_to(app, "elsa")
        before = last_round(app)
        await pilot.press("r")
        await a_round_after(app, before)
        await pilot.pause()
        line = next(line for line in rack_lines(app) if " elsa " in line)
        assert "✕ elsa" in line  # hollow: failing, not yet hard; never a green ●
        assert "✕1 " in str(app.query_one(StatusBar).render())  # and counted apart
