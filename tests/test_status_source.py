"""The layout's `status_source:` key: parsed, or errors at their position."""

from __future__ import annotations

from pathlib import Path

from lautre_tui.model.loader import load_layout
from lautre_tui.model.status_source import Icinga2Source
from tests.conftest import LAUTRE_LAYOUT


def with_source(tmp_path: Path, fragment: str) -> Path:
    path = tmp_path / "layout.yaml"
    path.write_text(fragment + LAUTRE_LAYOUT.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def test_icinga2_source_is_read(tmp_path: Path) -> None:
    path = with_source(
        tmp_path,
        "status_source:\n  icinga2:\n    url: https://icinga.example:5665/\n"
        "    user: lautre\n    password_file: secret\n    host_name: 'rack1-{name}'\n",
    )
    result = load_layout(path)
    assert result.errors == [] and result.layout is not None
    assert result.layout.status_source == Icinga2Source(
        url="https://icinga.example:5665",
        user="lautre",
        password_file=tmp_path / "secret",
        host_name="rack1-{name}",
    )
    assert result.layout.status_source.host_of("emma") == "rack1-emma"


def test_bad_status_sources_are_errors_at_their_line(tmp_path: Path) -> None:
    cases = {
        "status_source:\n  nagios: {}\n": "status_source: unknown key 'nagios'",
        "status_source:\n  icinga2: {user: x}\n": "missing required key 'url'",
        "status_source:\n  icinga2: {url: 'http://h:5665'}\n": "must be https://HOST:PORT",
        "status_source:\n  icinga2: {url: 'https://h:5665', host_name: '{host}'}\n": (
            'must contain "{name}" once'
        ),
        "status_source:\n  icinga2: {url: 'https://h:5665', host_name: '{name:{name}}'}\n": (
            "takes no format or conversion"
        ),
        "status_source:\n  icinga2: {url: 'https://h:5665', host_name: '{name!r}'}\n": (
            "takes no format or conversion"
        ),
        "status_source:\n  icinga2: {url: 'https://h:5665', client_cert: c}\n": (
            "client_cert and client_key go together"
        ),
    }
    for fragment, message in cases.items():
        result = load_layout(with_source(tmp_path, fragment))
        text = "\n".join(str(error) for error in result.errors)
        assert message in text, (fragment, text)
        assert ":2:" in text
        assert result.layout is not None and result.layout.status_source is None
