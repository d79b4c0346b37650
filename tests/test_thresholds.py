"""`warn`/`crit` on the checks that have a figure: judged against the lab's hosts
(disk use, a backup's age, LVS real servers) through the real poller, against the
real `sh` probe for the file-age figure, and warned about where there is none."""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import replace
from pathlib import Path

from lautre_tui.backends.probe import probe_script
from lautre_tui.lab.runner import Lab
from lautre_tui.model.checks import Check, IpvsExpectation
from lautre_tui.model.probe_format import CheckState, parse_report
from lautre_tui.model.thresholds import judge_thresholds
from lautre_tui.services.poller import Poller
from tests.lab_helpers import lab_layout
from tests.layout_cases import GOOD

FEY = (
    Check("disk busy", mount="/", warn=1, crit=99.9),
    Check("disk fine", mount="/", warn=95, crit=99),
    Check("backup age", file="/backups/daily.0", warn=60, crit=10**7),
    Check("proc use", mount="/proc", warn=50),  # mounted, but not a disk: no figure
    Check("backup plain", file="/backups/daily.0"),
)
EVA = (Check("lvs web", ipvs=IpvsExpectation("0.0.0.0:80", 1), warn=50, crit=1),)


async def test_thresholds_judge_the_lab_hosts_figures(lab: Lab) -> None:
    layout = lab_layout(lab)
    devices = dict(layout.devices)
    devices["fey"] = replace(devices["fey"], services=FEY)
    devices["eva"] = replace(devices["eva"], services=EVA)
    poller = Poller(replace(layout, devices=devices))
    await poller.run_round()
    await poller.stop()
    fey = {check.name: check for check in poller.health("fey").checks}
    busy, fine = fey["disk busy"], fey["disk fine"]
    assert busy.current is CheckState.WARNING
    assert re.search(r" \| '/'=\d+(\.\d+)?%;1;99\.9$", busy.output), busy.output
    assert fine.current is CheckState.OK and fine.output.endswith("%;95;99")
    age = fey["backup age"]
    assert age.current is CheckState.WARNING
    assert re.search(r"present \| 'age'=\d+s;60;10000000$", age.output), age.output
    assert fey["proc use"].current is CheckState.UNKNOWN
    assert fey["proc use"].output.endswith("; no figure")
    assert fey["backup plain"].current is CheckState.OK
    assert "|" not in fey["backup plain"].output  # no threshold, output as before
    [lvs] = poller.health("eva").checks[:1]
    assert lvs.current is CheckState.WARNING
    assert re.search(r"has \d+ real servers? \| 'real'=\d+;50;1$", lvs.output), lvs.output


def test_the_real_probe_reports_a_files_age(tmp_path: Path) -> None:
    backup = tmp_path / "daily.0"
    backup.write_text("dump")
    os.utime(backup, (time.time() - 7200, time.time() - 7200))
    checks = [
        Check("young enough", file=str(backup), warn=86400),
        Check("too old", file=str(backup), warn=60, crit=3600),
    ]
    done = subprocess.run(
        ["/bin/sh", "-s"], input=probe_script(checks), capture_output=True, text=True, check=False
    )
    report = judge_thresholds(checks, parse_report(done.stdout, len(checks)))
    assert report.error is None, done.stdout
    assert 7200 <= report.measured[0] < 7200 + 600
    young, old = report.results[0], report.results[1]
    assert young.state is CheckState.OK and re.search(r"'age'=72\d\ds;86400;$", young.output)
    assert old.state is CheckState.CRITICAL and old.output.endswith(";60;3600")


def test_thresholds_without_a_figure_are_a_warning_not_an_error(tmp_path: Path) -> None:
    from lautre_tui.model.loader import load_layout

    path = tmp_path / "layout.yaml"
    path.write_text(GOOD.replace("port: 80}", "port: 80, warn: 90}"))
    result = load_layout(path)
    assert result.ok
    assert [str(warning).split(": ", 1)[1] for warning in result.warnings][-1] == (
        "warning: check 'web' of device web has warn/crit but no figure to compare them "
        "with (only mount, file and ipvs checks have one)"
    )
