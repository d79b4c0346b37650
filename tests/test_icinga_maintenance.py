"""Maintenance windows and acknowledgements with Icinga 2 as the status source,
against a real daemon: ours become Icinga downtimes and acknowledgements (and
their end removes them), Icinga's show in the app, an absent Icinga leaves the
window standing with a clear message."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from lautre_tui.cli.states import poll_once
from lautre_tui.cli.tui import build_app
from lautre_tui.lab.runner import Lab
from lautre_tui.lab.world import Fault, FaultKind
from lautre_tui.services.icinga_maintenance import IcingaMaintenance
from lautre_tui.services.icinga_source import IcingaSource
from lautre_tui.ui.maintenance_dialogs import WindowRequest
from lautre_tui.ui.status_bar import StatusBar
from tests.icinga_helpers import Icinga, needs_icinga, reading_layout
from tests.lab_helpers import eventually, lab_cli
from tests.test_ui_rack import rack_lines

pytestmark = [needs_icinga, pytest.mark.timeout(600)]


async def downtimes(icinga: Icinga) -> list[dict[str, Any]]:
    """Every downtime the API knows, with its host and service."""
    path = "/v1/objects/downtimes?attrs=host_name&attrs=service_name&attrs=author&attrs=end_time"
    data = json.loads(await asyncio.to_thread(icinga.get, path))
    return [item["attrs"] for item in data["results"]]


async def service(icinga: Icinga, host: str, name: str) -> dict[str, Any]:
    path = f"/v1/objects/services/{host}!{name}?attrs=state&attrs=state_type&attrs=acknowledgement"
    data = json.loads(await asyncio.to_thread(icinga.get, path))
    attrs: dict[str, Any] = data["results"][0]["attrs"]
    return attrs


async def action(icinga: Icinga, name: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = await asyncio.to_thread(icinga.post, f"/v1/actions/{name}", json.dumps(body).encode())
    result: dict[str, Any] = json.loads(answer)
    return result


async def icinga_checked_host(icinga: Icinga, host: str) -> None:
    """Icinga checks the host now (its interval is 10 minutes): until then it is
    pending, and nothing of its services counts as a problem of a reachable host."""
    await action(icinga, "reschedule-check", {"type": "Host", "host": host})

    async def checked() -> bool:
        path = f"/v1/objects/hosts/{host}?attrs=last_check"
        found = json.loads(await asyncio.to_thread(icinga.get, path))
        return float(found["results"][0]["attrs"]["last_check"]) > 0

    await eventually(checked, 60)


async def icinga_sees_critical(icinga: Icinga, host: str, check: str) -> None:
    """Icinga re-checks now (its interval is 10 minutes) until the check is CRITICAL."""
    await icinga_checked_host(icinga, host)
    await action(icinga, "reschedule-check", {"type": "Service", "service": f"{host}!{check}"})

    async def critical() -> bool:
        return int((await service(icinga, host, check))["state"]) == 2

    await eventually(critical, 60)


async def test_cli_window_is_an_icinga_downtime_until_it_ends(lab: Lab, icinga: Icinga) -> None:
    path, _ = reading_layout(lab, icinga.layout_fragment())
    code, out, err = await lab_cli(
        lab, "maint", "start", "fey", "--for", "30m", "--reason", "disk swap",
        "--with-dependents", layout=path,
    )  # fmt: skip
    assert code == 0, err
    assert "fey" in out and "emma" in out
    found = await downtimes(icinga)
    hosts = {d["host_name"] for d in found if not d["service_name"]}
    assert hosts == {"fey", "emma", "ella", "elsa"}  # the dependents through child_options
    assert {d["host_name"] for d in found if d["service_name"]} >= {"fey"}  # all_services
    assert {d["author"] for d in found} == {"admin2"}
    # Extended: Icinga's downtimes end later too (new ones in place of the old).
    code, out, err = await lab_cli(lab, "maint", "extend", "fey", "--for", "2h", layout=path)
    assert code == 0, err
    later = await downtimes(icinga)
    assert {d["host_name"] for d in later if not d["service_name"]} == hosts
    assert len(later) == len(found)
    assert min(d["end_time"] for d in later) > max(d["end_time"] for d in found)
    code, out, err = await lab_cli(lab, "maint", "end", "fey", layout=path)
    assert code in (0, 1), err  # 0/1: the comparison; 2 would be Icinga refusing
    assert "ended: " in out
    assert await downtimes(icinga) == []


async def test_cli_ack_is_an_icinga_acknowledgement_until_it_ends(lab: Lab, icinga: Icinga) -> None:
    path, layout = reading_layout(lab, icinga.layout_fragment())
    lab.world.inject(Fault(FaultKind.SERVICE_DOWN, "emma", "web"))
    await icinga_sees_critical(icinga, "emma", "web")
    code, out, err = await lab_cli(
        lab, "ack", "emma", "--check", "web", "--comment", "restarting nginx", layout=path
    )
    assert code == 0, err
    assert "restarting nginx" in out
    assert int((await service(icinga, "emma", "web"))["acknowledgement"]) == 1
    # Back to OK for us (Icinga not told yet): our rules end the ack, and Icinga's with it.
    lab.world.clear("emma", FaultKind.SERVICE_DOWN)
    assert layout.status_source is not None
    ours = IcingaMaintenance(layout, layout.status_source)
    health = await asyncio.to_thread(poll_once, layout, ["emma"])
    ended = await asyncio.to_thread(ours.reconcile, health)
    assert [(a.device, a.check) for a, _why in ended] == [("emma", "web")]
    assert ours.take_icinga_trouble() == []
    state = await service(icinga, "emma", "web")
    assert int(state["acknowledgement"]) == 0 and int(state["state"]) == 2


async def test_cli_ack_acknowledges_what_icinga_shows_not_a_round_of_its_own(
    lab: Lab, icinga: Icinga
) -> None:
    """emma's web is fine in the lab, CRITICAL in Icinga (a passive result): `ack`
    reads Icinga's states, as Icinga Web shows them, and acknowledges that."""
    path, _ = reading_layout(lab, icinga.layout_fragment())
    await icinga_checked_host(icinga, "emma")
    result = {"type": "Service", "service": "emma!web", "exit_status": 2, "plugin_output": "gone"}

    async def hard_critical() -> bool:
        found = await service(icinga, "emma", "web")
        if int(found["state"]) == 2 and int(found["state_type"]) == 1:
            return True
        await action(icinga, "process-check-result", result)  # one more attempt
        return False

    await eventually(hard_critical, 60)
    code, out, err = await lab_cli(
        lab, "ack", "emma", "--check", "web", "--comment", "seen in Icinga", layout=path
    )
    assert code == 0, err
    assert "CRITICAL" in out and "seen in Icinga" in out
    assert int((await service(icinga, "emma", "web"))["acknowledgement"]) == 1


async def test_ack_and_downtime_made_in_icinga_mark_the_device_in_the_app(
    lab: Lab, icinga: Icinga
) -> None:
    path, layout = reading_layout(lab, icinga.layout_fragment())
    lab.world.inject(Fault(FaultKind.SERVICE_DOWN, "emma", "web"))
    await icinga_sees_critical(icinga, "emma", "web")
    app = build_app(layout, path)
    async with app.run_test(size=(120, 40)):
        await eventually(lambda: isinstance(app.site.poller, IcingaSource))
        await eventually(lambda: app.site.health.get("emma") is not None, 60)
        watch = app.maintenance
        assert watch is not None
        assert "⚒emma" not in "\n".join(rack_lines(app))
        await action(
            icinga,
            "acknowledge-problem",
            {"type": "Service", "service": "emma!web", "author": "web", "comment": "on it"},
        )
        await eventually(lambda: "✓emma" in "\n".join(rack_lines(app)), 60)
        now = time.time()
        await action(
            icinga,
            "schedule-downtime",
            {
                "type": "Host",
                "host": "emma",
                "start_time": now,
                "end_time": now + 3600,
                "all_services": True,
                "author": "someone-in-icinga-web",
                "comment": "kernel upgrade",
            },
        )
        await eventually(lambda: "⚒emma" in "\n".join(rack_lines(app)), 60)
        # emma is not OK (web soft CRITICAL), and handled: counted apart in the header.
        await eventually(lambda: "⚒1 " in str(app.query_one(StatusBar).render()))
        assert watch.handled(app.site.health)["emma"] == "maintenance"
        assert await asyncio.to_thread(watch.service.open_windows) == []  # not written here


async def test_absent_icinga_leaves_the_window_standing_and_says_so(lab: Lab) -> None:
    fragment = "status_source:\n  icinga2:\n    url: https://localhost:1\n"
    path, _ = reading_layout(lab, fragment)
    code, out, err = await lab_cli(
        lab, "maint", "start", "emma", "--for", "1h", "--reason", "cabling", layout=path
    )
    assert code == 2, err
    assert "emma" in out
    assert "Icinga 2 did not take it" in err and "https://localhost:1 does not answer" in err
    assert "Traceback" not in err
    code, out, err = await lab_cli(lab, "maint", "list", "--json", layout=path)
    assert code == 0, err
    assert [w["device"] for w in json.loads(out)] == ["emma"]


async def test_absent_icinga_in_the_app_the_window_stands_and_a_notification_says_so(
    lab: Lab,
) -> None:
    fragment = "status_source:\n  icinga2:\n    url: https://localhost:1\n"
    path, layout = reading_layout(lab, fragment)
    app = build_app(layout, path)
    async with app.run_test(size=(120, 40)):
        await eventually(lambda: app.maintenance is not None)  # made after the first paint
        watch = app.maintenance
        assert watch is not None
        watch.start_window("emma", WindowRequest("1h", "cabling", False))
        await eventually(lambda: [w.device for w in watch.shared.windows] == ["emma"])
        await eventually(
            lambda: any(
                "Icinga 2 did not take it" in n.message and "https://localhost:1" in n.message
                for n in app._notifications
            )
        )


async def test_a_downtime_icinga_did_not_remove_is_removed_once_it_can(
    lab: Lab, icinga: Icinga
) -> None:
    _, layout = reading_layout(lab, icinga.layout_fragment())
    assert layout.status_source is not None
    ours = IcingaMaintenance(layout, layout.status_source)
    ours.retry_after = 0  # the app waits 30 s, doubling, before each retry
    await asyncio.to_thread(ours.start, ["fey"], time.time() + 1800, "disk swap")
    assert {d["host_name"] for d in await downtimes(icinga)} == {"fey"}
    password = icinga.password_file.read_text(encoding="utf-8")
    icinga.password_file.write_text("refused\n", encoding="utf-8")
    await asyncio.to_thread(ours.end, ["fey"])
    [said] = ours.take_icinga_trouble()
    assert "removing the downtime of fey" in said and "(401)" in said
    assert ours.open_windows() == [] and await downtimes(icinga) != []
    await asyncio.to_thread(ours.expire)  # still refused: kept, and not said again
    assert ours.take_icinga_trouble() == [] and await downtimes(icinga) != []
    icinga.password_file.write_text(password, encoding="utf-8")
    await asyncio.to_thread(ours.expire)
    assert await downtimes(icinga) == []
    assert ours.db.read("SELECT name FROM icinga_downtimes") == []
