"""`status_source: icinga2` end to end: the lab, a real Icinga 2 daemon running
`lautre-tui check` on the lab's export, and the source (and the app) reading its
API and event stream."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from lautre_tui.cli.tui import build_app
from lautre_tui.lab.runner import Lab
from lautre_tui.lab.world import Fault, FaultKind
from lautre_tui.model.health import Verdict, check_names
from lautre_tui.model.probe_format import CheckState
from lautre_tui.services.icinga_source import IcingaSource
from tests.icinga_helpers import Icinga, needs_icinga, reading_layout
from tests.lab_helpers import eventually, lab_cli

# A real daemon, its PKI (made once) and 66 check processes on a shared 2-core machine.
pytestmark = [needs_icinga, pytest.mark.timeout(600)]


def check_state(source: IcingaSource, device: str, check: str) -> CheckState | None:
    found = [c.current for c in source.health(device).checks if c.name == check]
    return found[0] if found else None


async def test_source_follows_icinga_through_the_stream_and_outages(
    lab: Lab, icinga: Icinga
) -> None:
    _, layout = reading_layout(lab, icinga.layout_fragment())
    assert layout.status_source is not None
    source = IcingaSource(layout, layout.status_source, status_every=0.2)
    source.start()
    try:
        source.poll_now("emma")  # Icinga checks it now, not within its first interval
        await eventually(lambda: check_state(source, "emma", "web") is CheckState.OK, 60)
        every = len(check_names(layout, layout.devices["emma"]))
        await eventually(lambda: len(source.health("emma").checks) == every, 60)
        assert source.health("emma").verdict is Verdict.OK
        assert source.last_round is not None and source.trouble is None
        assert source.health("estelle").verdict is Verdict.STANDBY_OFF
        # The host check's perfdata read back: the pane's figures, as with the poller.
        await eventually(lambda: source.health("emma").figures.load is not None, 60)
        figures = source.health("emma").figures
        assert figures.mem_total_kb and figures.mem_available_kb is not None and figures.disks
        lab.world.inject(Fault(FaultKind.SERVICE_DOWN, "emma", "web"))
        source.poll_now("emma")
        await eventually(lambda: check_state(source, "emma", "web") is CheckState.CRITICAL, 60)
        # A passive result (its perfdata is null) comes through the stream and a full read.
        body = {"type": "Service", "service": "emma!web", "exit_status": 1, "plugin_output": "p"}
        await asyncio.to_thread(
            icinga.post, "/v1/actions/process-check-result", json.dumps(body).encode()
        )
        await eventually(lambda: check_state(source, "emma", "web") is CheckState.WARNING)
        await source.sync_once()
        assert check_state(source, "emma", "web") is CheckState.WARNING
        # Icinga killed: every device stale, saying which Icinga since when.
        await asyncio.to_thread(icinga.kill)
        await eventually(lambda: source.health("emma").verdict is Verdict.STALE)
        message = source.health("emma").message
        assert message.startswith(f"Icinga 2 at {icinga.url} does not answer since ")
        assert source.trouble == message
        # Restarted: a full read again, the stream followed again.
        lab.world.clear("emma", FaultKind.SERVICE_DOWN)
        await asyncio.to_thread(icinga.start)
        await eventually(lambda: source.health("emma").verdict is not Verdict.STALE, 60)
        source.poll_now("emma")
        await eventually(lambda: check_state(source, "emma", "web") is CheckState.OK, 60)
    finally:
        await source.stop()


async def test_a_change_between_the_full_read_and_the_stream_is_not_lost(
    lab: Lab, icinga: Icinga, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Icinga takes a result right after the source's full read: the stream, already
    open, brings it. Read first and subscribe after, it would wait for the next check
    (10 minutes here), showing the state before it all along."""
    _, layout = reading_layout(lab, icinga.layout_fragment())
    assert layout.status_source is not None
    source = IcingaSource(layout, layout.status_source, status_every=60)
    full_read = source._resync
    changes = ["between the read and the stream"]

    async def read_then_a_change() -> None:
        await full_read()
        if changes:  # a real result, taken by Icinga before this returns
            output = changes.pop()
            body = {"type": "Service", "service": "emma!web", "exit_status": 2}
            body["plugin_output"] = output
            await asyncio.to_thread(
                icinga.post, "/v1/actions/process-check-result", json.dumps(body).encode()
            )

    monkeypatch.setattr(source, "_resync", read_then_a_change)
    source.start()
    try:
        await eventually(lambda: not changes and source.last_round is not None, 60)
        await eventually(lambda: check_state(source, "emma", "web") is CheckState.CRITICAL, 60)
        (web,) = [c for c in source.health("emma").checks if c.name == "web"]
        assert web.output == "between the read and the stream"
    finally:
        await source.stop()


async def test_app_shows_icinga_states(lab: Lab, icinga: Icinga) -> None:
    path, layout = reading_layout(lab, icinga.layout_fragment())
    app = build_app(layout, path)
    async with app.run_test(size=(120, 40)):
        await eventually(lambda: app.site.poller is not None)
        assert isinstance(app.site.poller, IcingaSource)
        app.site.poller.poll_now("emma")
        await eventually(lambda: app.site.health.get("emma") is not None, 60)
        await eventually(lambda: app.site.health["emma"].verdict is Verdict.OK, 60)


async def test_status_reads_from_icinga_and_says_what_is_wrong(
    lab: Lab, icinga: Icinga, tmp_path: Path
) -> None:
    path, _ = reading_layout(lab, icinga.layout_fragment())
    code, out, err = await lab_cli(lab, "status", "--host", "estelle", layout=path)
    assert code == 0, err
    assert "standby (off)" in out
    wrong_password = tmp_path / "wrong"
    wrong_password.write_text("nope\n", encoding="utf-8")
    cases = {
        str(icinga.password_file): (str(wrong_password), "user or password refused (401)"),
        f"    ca_file: {icinga.ca_file}\n": ("", "its certificate is not trusted by the system's"),
        icinga.url: ("https://localhost:1", "https://localhost:1 does not answer"),
    }
    for old, (new, words) in cases.items():
        bad, _ = reading_layout(lab, icinga.layout_fragment().replace(old, new))
        code, out, err = await lab_cli(lab, "status", layout=bad)
        assert code == 3 and words in err and "Traceback" not in err, err
        if old != icinga.url:
            assert icinga.url in err
