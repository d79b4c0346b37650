"""The `:` command line, as in k9s and vim: the CLI's own words typed in the app.

`:console eva`, `:power fey off`, `:maint start fey --for 1h --reason disk`,
`:filter mail`: each leads to the same dialog or confirmation as its key. Verbs,
device names and power actions complete with Tab (or →); ↑ and ↓ walk back
through the commands of this session.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.suggester import Suggester
from textual.widgets import Input

if TYPE_CHECKING:
    from lautre_tui.ui.rack_screen import RackScreen

USAGE: dict[str, str] = {
    "console": "console HOST",
    "power": "power HOST on|off|cycle",
    "maint": "maint start HOST [--for 90m|--until 18:30] [--reason TEXT] | maint end HOST | "
    "maint list",
    "ack": "ack HOST",
    "go": "go HOST",
    "filter": "filter [TEXT]",
    "problems": "problems",
    "events": "events",
    "refresh": "refresh [HOST]",
    "help": "help",
    "quit": "quit",
}
TAKES_A_HOST = ("console", "power", "ack", "go", "refresh")
POWER_ACTIONS = ("on", "off", "cycle")
MAINT_VERBS = ("start", "end", "list")
MAINT_OPTIONS = ("--for", "--until", "--reason")


class CommandError(ValueError):
    """What is wrong with a typed command, said with its usage."""


@dataclass(frozen=True, slots=True)
class Command:
    verb: str
    words: tuple[str, ...] = ()  # after the verb, options taken out
    options: dict[str, str] = field(default_factory=dict)


def parse(text: str, devices: Sequence[str]) -> Command:
    """A typed line as a command; CommandError says what is wrong and how it goes."""
    try:
        tokens = shlex.split(text)
    except ValueError as error:
        raise CommandError(f"{error}: {text}") from None
    if not tokens:
        raise CommandError("type a command: " + ", ".join(USAGE))
    verb, rest = tokens[0], tokens[1:]
    if verb not in USAGE:
        raise CommandError(f"unknown command {verb!r}: one of " + ", ".join(USAGE))
    words: list[str] = []
    options: dict[str, str] = {}
    while rest:
        token = rest.pop(0)
        if token.startswith("--") and verb == "maint":
            if token not in MAINT_OPTIONS or not rest or not rest[0].strip():
                raise CommandError(f"{token}: usage: {USAGE[verb]}")
            if token[2:] in options:
                raise CommandError(f"{token} is given twice")
            options[token[2:]] = rest.pop(0)
        else:
            words.append(token)
    command = Command(verb, tuple(words), options)
    _check(command, devices)
    return command


def _check(command: Command, devices: Sequence[str]) -> None:
    """Every host named is one of the layout's, where the usage puts it (a device may
    be called `off` or `list`: the position decides, never a search of the words)."""
    verb, words = command.verb, command.words
    usage = f"usage: {USAGE[verb]}"
    host_first = bool(words) and words[0] in devices
    if verb in ("console", "ack", "go") and (len(words) != 1 or not host_first):
        raise CommandError(_no_such(words[:1], devices) or usage)
    if verb == "power" and (len(words) != 2 or words[1] not in POWER_ACTIONS or not host_first):
        raise CommandError(_no_such(words[:1], devices) or usage)
    if verb == "refresh" and (len(words) > 1 or (words and not host_first)):
        raise CommandError(_no_such(words, devices) or usage)
    if verb == "maint":
        if not words or words[0] not in MAINT_VERBS:
            raise CommandError(usage)
        if words[0] != "start" and command.options:
            raise CommandError(f"maint {words[0]} takes no option: {usage}")
        if words[0] in ("start", "end") and (len(words) != 2 or words[1] not in devices):
            raise CommandError(_no_such(words[1:], devices) or usage)
    if verb in ("problems", "events", "help", "quit") and words:
        raise CommandError(usage)


def _no_such(words: Sequence[str], devices: Sequence[str]) -> str:
    unknown = [w for w in words if w not in devices]
    return f"no device {unknown[0]!r} in the layout" if unknown else ""


def completions(value: str, devices: Sequence[str]) -> list[str]:
    """What the word being typed may become, given the words before it."""
    before, _, typing = value.rpartition(" ")
    words = before.split()
    if not words:
        choices: Sequence[str] = list(USAGE)
    elif words[0] in TAKES_A_HOST and len(words) == 1:
        choices = devices
    elif words[0] == "power" and len(words) == 2:
        choices = POWER_ACTIONS
    elif words[0] == "maint" and len(words) == 1:
        choices = MAINT_VERBS
    elif words[0] == "maint" and words[1] in ("start", "end") and len(words) == 2:
        choices = devices
    elif words[0] == "maint" and words[1] == "start" and typing.startswith("-"):
        choices = MAINT_OPTIONS
    else:
        choices = ()
    return [choice for choice in choices if choice.startswith(typing) and choice != typing]


class CommandSuggester(Suggester):
    """Suggests the first completion of the word being typed (Tab or → takes it)."""

    def __init__(self, devices: Sequence[str]) -> None:
        super().__init__(use_cache=True, case_sensitive=True)
        self.devices = list(devices)

    async def get_suggestion(self, value: str) -> str | None:
        found = completions(value, self.devices)
        if not found:
            return None
        before, space, _typing = value.rpartition(" ")
        return f"{before}{space}{found[0]}"


class CommandLine(Input):
    """The line itself: history with ↑/↓, Tab completes instead of moving focus."""

    BINDINGS = [
        Binding("tab", "complete", "Complete", show=False, id="command.complete"),
        Binding("up", "history(-1)", "Previous command", show=False, id="command.previous"),
        Binding("down", "history(1)", "Next command", show=False, id="command.next"),
    ]

    def __init__(self, devices: Sequence[str], *, id: str | None = None) -> None:
        super().__init__(
            placeholder="console eva · power fey off · maint start fey --for 1h --reason disk",
            suggester=CommandSuggester(devices),
            id=id,
        )
        self.history: list[str] = []
        self._back = 0  # how far up the history the line is (0: a new line)

    def remember(self, text: str) -> None:
        if text and (not self.history or self.history[-1] != text):
            self.history.append(text)
        self._back = 0

    def action_complete(self) -> None:
        if self._suggestion and self.cursor_at_end:
            self.value = self._suggestion
            self.cursor_position = len(self.value)

    def action_history(self, step: int) -> None:
        back = min(len(self.history), max(0, self._back - step))
        if back == self._back:
            return
        self._back = back
        self.value = self.history[-back] if back else ""
        self.cursor_position = len(self.value)


def run(screen: RackScreen, command: Command) -> None:
    """Do what the command says, through the same dialogs as the keys; a service the
    site does not have is said, not silently ignored."""
    verb, words = command.verb, command.words
    site, watch = screen.site, screen.maintenance
    if verb in ("console", "power", "ack", "go") or (verb == "refresh" and words):
        screen.go_to(words[0])
    if verb == "console" and site.has_consoles:
        screen.open_console(words[0])
    elif verb == "power" and site.has_power:
        screen.power(words[0], words[1])
    elif verb == "ack" and watch is not None:
        watch.acknowledge(words[0])
    elif verb == "maint" and watch is not None:
        if words[0] == "list":
            watch.show_list()
        elif words[0] == "end" or not command.options:
            screen.go_to(words[1])
            watch.open_dialog(words[1])  # a window open: the end, with its comparison
        else:
            until = command.options.get("until") or command.options.get("for", "1h")
            reason = command.options.get("reason", "")
            screen.go_to(words[1])
            from lautre_tui.ui.maintenance_dialogs import WindowRequest

            watch.start_window(words[1], WindowRequest(until, reason, with_dependents=False))
    elif verb == "filter":
        screen.filter(" ".join(words))
    elif verb == "problems" and site.polls:
        screen.action_problems()
    elif verb == "events" and site.polls:
        screen.action_events()
    elif verb == "refresh" and site.polls:
        screen.action_refresh() if words else screen.action_refresh_all()
    elif verb in ("help", "quit"):
        screen.run_worker(screen.app.run_action(verb))
    elif verb != "go":
        screen.notify(f"{verb}: not available here (no such service in this layout)", timeout=5)
