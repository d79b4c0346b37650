"""Layout values that used to pass validation and then broke the app: each is now a
FILE:LINE:COL error, and the loader never hangs, never fills memory."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from lautre_tui.model.loader import load_layout
from lautre_tui.model.names import host_problem, name_problem, url_template_problem
from tests.test_layout_validation import GOOD, errors_of, one_error


@pytest.mark.parametrize(
    "host",
    [
        "web..example.org",
        ".example.org",
        "-oProxyCommand=sh",
        "web server",
        "web\x1b[2Jok",
        "a" * 254,
        "x" * 64 + ".example.org",
        "web-.example.org",
        "10.0.0.256",
        "1.2.3",
        "fe80::1::2",
        "[::1",
    ],
)
def test_host_names_no_resolver_accepts_are_refused(host: str) -> None:
    assert host_problem(host) is not None


@pytest.mark.parametrize(
    "host",
    ["eva", "eva.lautre.net", "my_alias", "web-1.example.org.", "10.0.0.5", "::1", "[fe80::1]"],
)
def test_names_resolvers_and_ssh_config_aliases_take_are_kept(host: str) -> None:
    assert host_problem(host) is None


def test_a_bad_ssh_host_is_an_error_at_its_line(tmp_path: Path) -> None:
    text = GOOD.replace(
        "    depends_on: [sw]", "    depends_on: [sw]\n    ssh: {host: web..example.org}"
    )
    error = one_error(tmp_path, text)
    assert ":29:17:" in error and "empty label" in error
    pdu = one_error(tmp_path, GOOD.replace("pdu.example.org", "'pdu example'"))
    assert ":8:11:" in pdu and "spaces" in pdu


@pytest.mark.parametrize("name", ["", "a/b", "..", "../x", "-x", "a\nb", "a\x1b[31m", "é" * 3])
def test_names_that_reach_file_paths_are_refused(name: str) -> None:
    assert name_problem(name) is not None


def test_a_device_named_like_a_path_is_an_error_and_not_built(tmp_path: Path) -> None:
    text = GOOD + '  "../../etc/x":\n    rack: r1\n    u: 3\n    kind: server\n    state: staging\n'
    path = tmp_path / "layout.yaml"
    path.write_text(text)
    result = load_layout(path)
    assert result.layout is not None and "../../etc/x" not in result.layout.devices
    assert [(e.position.line, e.position.col) for e in result.errors] == [(36, 3)]
    assert "is not a usable name" in str(result.errors[0])


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("rfc2217://cs:{tcp_port:>2000000000}", "as they are"),
        ("rfc2217://cs:{tcp_port.__class__}", "as they are"),
        ("rfc2217://cs:{port[0]}", "as they are"),
        ("rfc2217://cs:{port!r}", "as they are"),
        ("rfc2217://cs:{host}", "as they are"),
        ("rfc2217://cs:{tcp_port", "valid template"),
    ],
)
def test_console_url_templates_take_only_plain_fields(template: str, problem: str) -> None:
    found = url_template_problem(template)
    assert found is not None and problem in found


def test_a_console_url_with_a_format_spec_is_an_error(tmp_path: Path) -> None:
    text = GOOD.replace("{tcp_port}", "{tcp_port:>2000000000}")
    started = time.monotonic()
    error = one_error(tmp_path, text)
    assert ":12:10:" in error and "{tcp_port:>2000000000}" in error
    assert time.monotonic() - started < 5  # nothing was formatted


@pytest.mark.parametrize(
    ("poll", "needle"),
    [
        ("{interval: 0}", "poll.interval must be between 0.5 s"),
        ("{timeout: 0}", "poll.timeout must be between 0.1 s"),
        ("{interval: .inf}", "finite"),
        ("{interval: .nan}", "finite"),
    ],
)
def test_poll_values_that_would_spin_or_never_wait(tmp_path: Path, poll: str, needle: str) -> None:
    error = one_error(tmp_path, GOOD.replace("site: test", f"site: test\npoll: {poll}"))
    assert needle in error and ":2:" in error


def test_free_text_with_escapes_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace("    kind: switch\n", '    kind: switch\n    role: "ok\\e]0;owned\\a"\n')
    assert "control characters" in one_error(tmp_path, text)


def test_a_6000_device_dependency_chain_is_checked_at_once(tmp_path: Path) -> None:
    lines = ["racks: [{name: r, height: 60}]", "devices:"]
    count = 6000
    for index in range(count):
        parent = f"d{(index + 1) % count}"
        lines.append(
            f"  d{index}: {{rack: r, u: 1, kind: other, state: staging, depends_on: [{parent}]}}"
        )
    path = tmp_path / "chain.yaml"
    path.write_text("\n".join(lines))
    started = time.monotonic()
    errors = [str(e) for e in load_layout(path).errors if "cycle" in str(e)]
    assert time.monotonic() - started < 30  # was 3 minutes: quadratic cycle search
    assert len(errors) == 1 and "d0 -> d1 ->" in errors[0] and "(6000 devices)" in errors[0]


def test_cycles_are_still_each_reported_once(tmp_path: Path) -> None:
    text = GOOD.replace("  sw:\n    rack: r1", "  sw:\n    depends_on: [web]\n    rack: r1")
    errors = [e for e in errors_of(tmp_path, text) if "cycle" in e]
    assert len(errors) == 1 and ("sw -> web -> sw" in errors[0] or "web -> sw -> web" in errors[0])


@pytest.mark.parametrize("special", ["fifo", "/dev/zero", "directory"])
def test_a_layout_that_is_not_a_regular_file_is_refused_at_once(
    tmp_path: Path, special: str
) -> None:
    path = Path(special)
    if special == "fifo":
        path = tmp_path / "layout.fifo"
        os.mkfifo(path)
    elif special == "directory":
        path = tmp_path
    result = load_layout(path)  # a FIFO with no writer would block a plain open() forever
    assert result.layout is None and len(result.errors) == 1
    assert "cannot read" in str(result.errors[0])


def test_a_huge_layout_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as file:
        file.truncate(64 * 1024 * 1024)
    error = str(load_layout(path).errors[0])
    assert "larger than 16 MB" in error


@pytest.mark.parametrize(
    ("text", "needle"),
    [  # found by benchmarks/fuzz.py's 10,000 examples
        ("site: !!python/object:os.system x\n", "cannot read this value"),
        ("ssh: {known_hosts: ~nosuchuser-here/x}\n", "home directory"),
    ],
)
def test_tags_and_homes_the_loader_cannot_use_are_errors(
    tmp_path: Path, text: str, needle: str
) -> None:
    path = tmp_path / "layout.yaml"
    path.write_text(text + "racks: []\ndevices: {}\n")
    errors = [str(error) for error in load_layout(path).errors]
    assert any(needle in error and ":1:" in error for error in errors), errors


@pytest.mark.parametrize("digits", [400, 5000])
def test_a_duration_too_large_for_a_float_is_an_error(tmp_path: Path, digits: int) -> None:
    """Found by the fuzz: an integer of 400 digits made float() overflow (and one of
    5000, int() itself)."""
    text = GOOD.replace("site: test", "site: test\npoll: {interval: " + "9" * digits + "}")
    errors = errors_of(tmp_path, text)
    assert errors and all(":2:18:" in error for error in errors), errors
    assert any("poll.interval" in error for error in errors)
