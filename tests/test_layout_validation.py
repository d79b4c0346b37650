"""The layout loader and validator: every error kind, with its line and column."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from lautre_tui.model.layout import DeviceKind, Lifecycle
from lautre_tui.model.loader import load_layout, parse_layout
from tests.conftest import LAUTRE_LAYOUT, lautre
from tests.layout_cases import GOOD as GOOD  # re-exported: other tests use it from here


def errors_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "layout.yaml"
    path.write_text(textwrap.dedent(text))
    return [str(error) for error in load_layout(path).errors]


def one_error(tmp_path: Path, text: str) -> str:
    errors = errors_of(tmp_path, text)
    assert len(errors) == 1, errors
    return errors[0]


def test_the_shipped_layout_is_valid_and_complete() -> None:
    result = load_layout(LAUTRE_LAYOUT)
    assert result.errors == []
    layout = result.layout
    assert layout is not None
    expected = {
        "eva": Lifecycle.PRODUCTION,
        "estelle": Lifecycle.STANDBY,
        "emma": Lifecycle.PRODUCTION,
        "ella": Lifecycle.PRODUCTION,
        "elea": Lifecycle.PRODUCTION,
        "elsa": Lifecycle.PRODUCTION,
        "fey": Lifecycle.PRODUCTION,
        "eyra": Lifecycle.STAGING,
        "etna": Lifecycle.STAGING,
        "defi": Lifecycle.STAGING,
        "elma": Lifecycle.STAGING,
        "elga": Lifecycle.STAGING,
        "ada": Lifecycle.PRODUCTION,
        "facteur": Lifecycle.PRODUCTION,
        "apc": Lifecycle.PRODUCTION,
        "console": Lifecycle.PRODUCTION,
    }
    for name, state in expected.items():
        assert layout.devices[name].state is state, name
    assert layout.devices["estelle"].standby_for == "eva"
    assert layout.devices["apc"].kind is DeviceKind.PDU
    assert layout.devices["console"].kind is DeviceKind.CONSOLE_SERVER
    assert layout.devices["defi-bay"].kind is DeviceKind.DISK_BAY
    for web in ("emma", "ella", "elsa"):
        assert {"elea", "fey"} <= set(layout.devices[web].depends_on)
    for name in ("eva", "facteur", "console", "apc"):
        assert layout.devices[name].protected, name


def test_invented_positions_are_marked_in_the_shipped_file() -> None:
    text = LAUTRE_LAYOUT.read_text()
    for line in text.splitlines():
        if line.strip().startswith("u:"):
            assert "# position to confirm" in line, line


def test_a_good_file_gives_no_error(tmp_path: Path) -> None:
    assert errors_of(tmp_path, GOOD) == []


def test_missing_file(tmp_path: Path) -> None:
    [error] = [str(e) for e in load_layout(tmp_path / "nope.yaml").errors]
    assert error.endswith(":1:1: cannot read: No such file or directory")


def test_not_yaml_points_at_the_problem(tmp_path: Path) -> None:
    error = one_error(tmp_path, "racks: [\n  - name: a\ndevices: {")
    assert "layout.yaml:2:3: not valid YAML: " in error
    assert "not valid YAML" in error


def test_empty_and_non_mapping_files(tmp_path: Path) -> None:
    assert one_error(tmp_path, "").endswith("layout.yaml:1:1: the layout is empty")
    assert "layout must be a mapping" in one_error(tmp_path, "- a\n- b\n")


def test_unknown_key_with_a_hint(tmp_path: Path) -> None:
    error = one_error(
        tmp_path, GOOD.replace("    kind: switch", "    knd: switch\n    kind: switch")
    )
    assert (
        error.split("/")[-1]
        == "layout.yaml:18:5: device sw: unknown key 'knd'; did you mean 'kind'?"
    )


def test_unknown_top_level_key_and_enum_value(tmp_path: Path) -> None:
    errors = errors_of(
        tmp_path, GOOD.replace("site: test", "sites: test").replace("kind: switch", "kind: swtich")
    )
    assert any(":1:1: layout: unknown key 'sites'; did you mean 'site'?" in e for e in errors)
    assert any(
        ":18:11: device sw kind: unknown value 'swtich'; did you mean 'switch'?" in e
        for e in errors
    )


def test_wrong_types(tmp_path: Path) -> None:
    text = GOOD.replace("u: 7", "u: seven").replace("height: 10", "height: [10]")
    errors = errors_of(tmp_path, text)
    assert [e.split(":", 1)[1] for e in errors] == [
        "4:13: rack r1 height must be a whole number",
        "22:8: device web u must be a whole number",
    ]  # and no "unknown rack r1" for the devices of the broken rack


def test_overlapping_units(tmp_path: Path) -> None:
    error = one_error(tmp_path, GOOD.replace("u: 7", "u: 9"))
    assert error.endswith(":22:8: device web overlaps sw at U10 of rack r1")


def test_device_beyond_the_rack(tmp_path: Path) -> None:
    error = one_error(tmp_path, GOOD.replace("u: 10", "u: 11"))
    assert error.endswith(":17:8: device sw occupies U11-U11, beyond the 10 U of rack r1")


def test_unknown_references(tmp_path: Path) -> None:
    text = (
        GOOD.replace("rack: r1\n    u: 10", "rack: r2\n    u: 10")
        .replace("{pdu: strip, outlet: 1}", "{pdu: strp, outlet: 1}")
        .replace("server: cons,", "server: konsole,")
        .replace("depends_on: [sw]", "depends_on: [sx]")
        .replace("device: strip", "device: stripp")
    )
    errors = errors_of(tmp_path, text)
    assert any(":7:5: unknown device for pdu 'stripp'; did you mean 'strip'?" in e for e in errors)
    assert any(":16:11: unknown rack 'r2' (expected one of: r1)" in e for e in errors)
    assert any(":26:14: unknown console server 'konsole'" in e for e in errors)
    assert any(":27:13: unknown power strip 'strp'; did you mean 'strip'?" in e for e in errors)
    assert any(":28:17: unknown device 'sx' (expected one of: sw, web, strip)" in e for e in errors)
    assert len(errors) == 5, errors


def test_outlet_beyond_the_strip(tmp_path: Path) -> None:
    error = one_error(tmp_path, GOOD.replace("outlet: 2}", "outlet: 5}"))
    assert "outlet 5 does not exist on strip (it has outlets 1-4)" in error


def test_outlet_and_console_port_used_twice(tmp_path: Path) -> None:
    text = GOOD.replace(
        "    kind: switch\n",
        "    kind: switch\n    power: [{pdu: strip, outlet: 2}]\n"
        "    console: {server: cons, port: 1}\n",
    )
    errors = errors_of(tmp_path, text)
    assert any(":29:38: outlet 2 of strip is already used by sw" in e for e in errors), errors
    assert any(":28:14: console port 1 of cons is already used by sw" in e for e in errors)


def test_duplicate_names(tmp_path: Path) -> None:
    text = GOOD + "  sw:\n    rack: r1\n    u: 3\n    kind: switch\n    state: staging\n"
    text = text.replace("  - name: r1\n    height: 10\n", "  - name: r1\n    height: 10\n" * 2)
    errors = errors_of(tmp_path, text)
    assert any(":5:5: duplicate rack name 'r1' (first at line 3)" in e for e in errors), errors
    assert any(":38:3: devices: duplicate key 'sw' (first at line 17)" in e for e in errors)


def test_dependency_cycles(tmp_path: Path) -> None:
    text = GOOD.replace("    kind: switch\n", "    kind: switch\n    depends_on: [web]\n")
    error = one_error(tmp_path, text)
    assert error.endswith(":19:17: dependency cycle: sw -> web -> sw")


def test_every_error_is_reported_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("u: 7", "u: 9").replace("depends_on: [sw]", "depends_on: [nobody]")
    text = text.replace("baud: 115200", "baud: 115201")
    assert len(errors_of(tmp_path, text)) == 3


def test_bad_checks(tmp_path: Path) -> None:
    text = GOOD.replace(
        "- {name: web, process: apache2, port: 80}",
        "- {name: web, procss: apache2}\n      - {name: old, max_age: 26h}\n"
        "      - {name: dump, file: /x, max_age: soon}",
    )
    errors = errors_of(tmp_path, text)
    assert any("check 'web': unknown key 'procss'; did you mean 'process'?" in e for e in errors)
    assert any("check 'old': says nothing to check" in e for e in errors)
    assert any("check 'dump' max_age: 'soon' is not a duration" in e for e in errors)


def test_relative_paths_are_relative_to_the_layout(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "layout.yaml"
    path.parent.mkdir()
    path.write_text(GOOD.replace("site: test", "site: test\nssh: {known_hosts: kh}"))
    layout = load_layout(path).layout
    assert layout is not None
    assert layout.ssh.known_hosts == path.parent.resolve() / "kh"


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_the_loader_never_raises_on_any_text(text: str) -> None:
    parse_layout(text, "fuzz.yaml", Path("."))


yaml_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["rack", "u", "kind", "devices", "racks", "x"]), children, max_size=4
        )
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["site", "racks", "devices", "pdus", "ssh", "poll"]), yaml_values
    )
)
def test_the_loader_never_raises_on_odd_structures(data: dict[str, Any]) -> None:
    result = parse_layout(yaml.safe_dump(data), "fuzz.yaml", Path("."))
    assert result.layout is not None or result.errors


def test_validate_command_ok_and_errors(
    tmp_path: Path, cli: list[str], cli_env: dict[str, str]
) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("u: 7", "u: 9").replace("depends_on: [sw]", "depends_on: [x]"))
    ok = subprocess.run(
        [*cli, "validate", str(good)], capture_output=True, text=True, env=cli_env, check=False
    )
    assert ok.returncode == 0
    assert ok.stdout == f"OK: {good}: 3 devices in 1 rack, 1 warning\n"
    assert "warning: device sw is in production but nothing checks it" in ok.stderr
    failed = subprocess.run(
        [*cli, "validate", str(good), str(bad), str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        env=cli_env,
        check=False,
    )
    assert failed.returncode == 1
    lines = [line for line in failed.stderr.splitlines() if ": warning: " not in line]
    assert lines == [
        f"{bad}:22:8: device web overlaps sw at U10 of rack r1",
        f"{bad}:28:17: unknown device 'x' (expected one of: sw, web, strip)",
        f"{tmp_path / 'missing'}:1:1: cannot read: No such file or directory",
    ]
    assert "Traceback" not in failed.stderr


def test_every_command_has_help(
    cli: list[str], cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from lautre_tui.cli import COMMAND_NAMES, main

    done = subprocess.run(  # the command as the admin runs it
        [*cli, "--help"], capture_output=True, text=True, env=cli_env, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "usage: lautre-tui" in done.stdout
    for name in COMMAND_NAMES:  # each sub-command's help, through the same main(), in this process
        assert f"    {name} " in done.stdout  # listed in the top-level help
        with pytest.raises(SystemExit) as exited:
            main([name, "--help"])
        assert exited.value.code == 0, name
        assert f"usage: lautre-tui {name}" in capsys.readouterr().out


def test_console_url_options_are_checked(tmp_path: Path) -> None:
    url = "url: rfc2217://cs.example.org:{tcp_port}"
    good = GOOD.replace(url, url + "?ign_set_control&timeout=5&poll_modem&logging=debug")
    assert errors_of(tmp_path, good) == []
    error = one_error(tmp_path, GOOD.replace(url, url + "?ign_set_controll"))
    assert error.endswith(
        ":12:10: console server cons: url option 'ign_set_controll' is not one of "
        "ign_set_control, poll_modem, timeout, logging; did you mean 'ign_set_control'?"
    )
    for options, message in [
        ("?timeout=soon", "option 'timeout' must be a number of seconds, not 'soon'"),
        ("?timeout=0", "option 'timeout' must be between 0 and 60 seconds, not 0"),
        ("?logging=loud", "option 'logging' must be one of debug, info, warning, error"),
        ("?poll_modem=1", "option 'poll_modem' takes no value (write ?poll_modem)"),
        ("?timeout=1&timeout=2", "option 'timeout' is given twice"),
    ]:
        assert message in one_error(tmp_path, GOOD.replace(url, url + options)), options
    raw = GOOD.replace(url, "url: socket://cs.example.org:{tcp_port}?timeout=5")
    assert "option 'timeout' is not one of logging" in one_error(tmp_path, raw)
    tty = GOOD.replace(url, "url: /dev/ttyUSB{port}?logging=info")
    assert "takes no options" in one_error(tmp_path, tty)


def test_break_halts_on_a_console_link(tmp_path: Path) -> None:
    link = "console: {server: cons, port: 1, baud: 115200"
    path = tmp_path / "layout.yaml"
    path.write_text(GOOD.replace(link, link + ", break_halts: true"))
    layout = load_layout(path).layout
    assert layout is not None and layout.devices["web"].console is not None
    assert layout.devices["web"].console.break_halts is True
    error = one_error(tmp_path, GOOD.replace(link, link + ", break_halts: maybe"))
    assert error.endswith("device web console.break_halts must be true or false")
    shipped = lautre()
    halting = {name for name, d in shipped.devices.items() if d.console and d.console.break_halts}
    assert halting == {"eyra", "etna"}
    for line in LAUTRE_LAYOUT.read_text().splitlines():
        if "break_halts" in line:
            assert "# to confirm" in line, line


def test_a_closed_pipe_is_not_a_traceback(cli: list[str], cli_env: dict[str, str]) -> None:
    import textwrap as _textwrap

    script = _textwrap.dedent(
        f"""
        {" ".join(cli)} --help | head -c 1 >/dev/null
        {" ".join(cli)} validate {" ".join([str(LAUTRE_LAYOUT)] * 1500)} | head -c 1
        """
    )
    done = subprocess.run(["sh", "-c", script], capture_output=True, text=True, env=cli_env)
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
