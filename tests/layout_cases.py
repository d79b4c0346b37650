"""Layouts shared by the loader's and the schema's tests: a good one, and the bad
ones the loader refuses for a key or a type (unknown or missing key, wrong type,
out of range, unknown value), each of which the JSON Schema must refuse too."""

from __future__ import annotations

from typing import NamedTuple

GOOD = """\
site: test
racks:
  - name: r1
    height: 10
pdus:
  strip:
    device: strip
    host: pdu.example.org
    outlets: 4
consoles:
  cons:
    url: rfc2217://cs.example.org:{tcp_port}
    port_offset: 7000
devices:
  sw:
    rack: r1
    u: 10
    kind: switch
    state: production
  web:
    rack: r1
    u: 7
    height: 2
    kind: server
    state: production
    console: {server: cons, port: 1, baud: 115200}
    power: [{pdu: strip, outlet: 1}, {pdu: strip, outlet: 2}]
    depends_on: [sw]
    services:
      - {name: web, process: apache2, port: 80}
  strip:
    rack: r1
    u: 1
    kind: pdu
    state: production
"""


class BadCase(NamedTuple):
    """GOOD with `old` replaced by `new` (first occurrence): the loader says `error`."""

    old: str
    new: str
    error: str

    @property
    def text(self) -> str:
        assert self.old in GOOD, self.old
        return GOOD.replace(self.old, self.new, 1)


WEB_CHECK = "- {name: web, process: apache2, port: 80}"
WEB_LINK = "console: {server: cons, port: 1, baud: 115200}"
SW_STATE = "    kind: switch\n    state: production\n"

KEY_AND_TYPE_CASES: dict[str, BadCase] = {
    "unknown top-level key": BadCase("site: test", "sites: test", "layout: unknown key 'sites'"),
    "unknown rack key": BadCase("height: 10", "height: 10\n    width: 19", "rack: unknown key"),
    "unknown strip key": BadCase(
        "outlets: 4", "outlets: 4\n    outlet: 4", "pdu strip: unknown key 'outlet'"
    ),
    "unknown console server key": BadCase(
        "port_offset: 7000", "port_offset: 7000\n    ports: 8", "console server cons: unknown key"
    ),
    "unknown device key": BadCase(
        "    kind: switch", "    knd: switch\n    kind: switch", "device sw: unknown key 'knd'"
    ),
    "unknown console link key": BadCase(
        "baud: 115200}", "baud: 115200, speed: 9600}", "device web console: unknown key 'speed'"
    ),
    "unknown power key": BadCase(
        "outlet: 1}", "outlet: 1, plug: 1}", "device web power item: unknown key 'plug'"
    ),
    "unknown check key": BadCase(
        WEB_CHECK, "- {name: web, procss: apache2}", "check 'web': unknown key 'procss'"
    ),
    "unknown ssh key": BadCase(
        SW_STATE, SW_STATE + "    ssh: {hots: sw.example.org}\n", "device sw ssh: unknown key"
    ),
    "missing required key": BadCase(SW_STATE, "    kind: switch\n", "missing required key 'state'"),
    "missing rack height": BadCase("    height: 10\n", "", "rack: missing required key 'height'"),
    "missing ipvs virtual": BadCase(
        WEB_CHECK, "- {name: lvs, ipvs: {min_real: 1}}", "missing required key 'virtual'"
    ),
    "a check of nothing": BadCase(WEB_CHECK, "- {name: web}", "check 'web': says nothing to check"),
    "fstype without mount": BadCase(
        WEB_CHECK, "- {name: web, port: 80, fstype: nfs}", "fstype only makes sense with mount"
    ),
    "reach of nothing": BadCase(
        SW_STATE, SW_STATE + "    reach: {host: sw.example.org}\n", "reach: says nothing to check"
    ),
    "not a whole number": BadCase("u: 7", "u: seven", "device web u must be a whole number"),
    "a list for a number": BadCase("height: 10", "height: [10]", "rack r1 height must be a whole"),
    "out of range": BadCase("u: 7", "u: 61", "device web u must be between 1 and 60, not 61"),
    "unknown kind": BadCase("kind: switch", "kind: swtich", "device sw kind: unknown value"),
    "unknown state": BadCase(
        "state: production", "state: live", "device sw state: unknown value 'live'"
    ),
    "odd baud rate": BadCase("baud: 115200", "baud: 115201", "is not a standard rate"),
    "not a boolean": BadCase(
        "baud: 115200}", "baud: 115200, break_halts: maybe}", "must be true or false"
    ),
    "unknown newline": BadCase(
        "baud: 115200}", "baud: 115200, newline: lfcr}", "console.newline: unknown value 'lfcr'"
    ),
    "port of a check not a number": BadCase(
        "port: 80}", "port: http}", "check 'web' port must be a whole number"
    ),
    "outlets not a number": BadCase(
        "outlets: 4", "outlets: many", "pdu strip outlets must be a whole number"
    ),
    "unknown strip driver": BadCase(
        "outlets: 4", "outlets: 4\n    driver: apc", "pdu strip: unknown driver 'apc'"
    ),
    "console url scheme": BadCase(
        "url: rfc2217://", "url: http://", "console server cons: url must start with one of"
    ),
    "not a duration": BadCase(
        WEB_CHECK, "- {name: dump, file: /x, max_age: soon}", "'soon' is not a duration"
    ),
    "poll interval not a duration": BadCase(
        "site: test", "site: test\npoll: {interval: often}", "poll.interval: 'often' is not a"
    ),
    "not a percentage": BadCase(
        "outlets: 4", "outlets: 4\n    load_warn: lots", "load_warn must be a percentage"
    ),
    "rating out of range": BadCase(
        "outlets: 4", "outlets: 4\n    rating_amps: 0", "rating_amps must be between 0.1 and 1000"
    ),
    "threshold not a number": BadCase(
        "port: 80}", "port: 80, warn: high}", "check 'web' warn must be a number"
    ),
    "ssh port not a number": BadCase(
        SW_STATE, SW_STATE + "    ssh: {port: ssh}\n", "device sw ssh.port must be a whole number"
    ),
    "reach port not a number": BadCase(
        SW_STATE, SW_STATE + "    reach: {tcp: [http]}\n", "reach.tcp item must be a whole number"
    ),
    "a word for a list": BadCase(
        "depends_on: [sw]", "depends_on: sw", "device web depends_on must be a list"
    ),
    "a mapping for text": BadCase(
        SW_STATE, SW_STATE + "    role: {a: 1}\n", "device sw role must be a non-empty string"
    ),
    "racks not a list": BadCase(
        "racks:\n  - name: r1\n    height: 10", "racks: {name: r1, height: 10}", "racks must be"
    ),
    "a name that is no file name": BadCase(
        "  web:\n", "  web/1:\n", "devices: 'web/1' is not a usable name"
    ),
}
