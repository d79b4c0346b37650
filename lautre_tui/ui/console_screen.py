"""A console full screen: the terminal, a status line, and the escape menu.

Ctrl-] opens the menu, like conserver's ^Ec and picocom's C-a: `.` or `q`
detach, `b` BREAK, `s` then a key: BREAK and that Magic SysRq command, `1`-`9`
the console server's named break sequences (layout `breaks:`), `B` baud
rate, `l` transcript path, `r` reconnect, `z` send `stty rows R cols C`, `w` back
to the rack with the console kept open, `?` help, Ctrl-] a literal Ctrl-], Esc
closes it. The menu is a mode of the terminal (see `TerminalView`), drawn over
it: keys typed faster than it is drawn are still its commands. Commands run one
after the other, and what is typed after a command waits for it. The footer
always says how to get out.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.screen import ModalScreen, Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from lautre_tui.model.breaks import BreakSequence
from lautre_tui.services.console import (
    ConsoleLinkError,
    ConsoleSession,
    save_selection,
    transcript_path,
    who_lines,
)
from lautre_tui.ui.console_dialogs import MessageScreen
from lautre_tui.ui.plain import plain
from lautre_tui.ui.terminal import CONFIRM_SECONDS, TerminalView

LeaveCallback = Callable[[str, bool], None]
BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
MENU = (
    (".", "detach", "detach (close this console)"),
    ("q", "detach", "detach (close this console)"),
    ("b", "break", "send a BREAK"),
    ("s", "sysrq", "then a key: BREAK and that Magic SysRq command (h for help)"),
    ("B", "baud", "change the baud rate"),
    ("[", "scroll", "scroll mode: / ? search, v select, y copy (OSC 52), Y save, Esc live"),
    ("l", "transcript", "show the transcript's path"),
    ("r", "reconnect", "reconnect now"),
    ("z", "stty", "send `stty rows R cols C` for this window's size"),
    ("u", "who", "who is on this console (mode, since, idle)"),
    ("m", "message", "a one-line message to everyone on this console"),
    ("w", "background", "back to the rack, keep this console open (c reopens it)"),
    ("?", "help", "this help"),
)
# The SysRq commands that lose data or the host: their key is pressed twice.
SYSRQ_CONFIRM = {
    "b": "reboot at once, without syncing or unmounting the disks",
    "o": "power off at once",
    "c": "crash the kernel (a crash dump if configured; the host is down)",
    "e": "send SIGTERM to every process but init",
    "i": "send SIGKILL to every process but init",
}
MENU_KEYS = {key: action for key, action, _text in MENU}
MENU_TEXT = "\n".join(
    [
        "Console menu: one key (Esc closes it, Ctrl-] sends a Ctrl-] to the host)",
        *(f"  {key}  {text}" for key, _action, text in MENU if key != "q"),
    ]
)
SEQUENCE = "break sequence "  # the action of menu key N: "break sequence N"


def sequence_lines(breaks: tuple[BreakSequence, ...], halts: bool) -> list[str]:
    """The menu's lines for the console server's named break sequences."""
    return [
        f"  {number}  send {sequence.name}: {sequence.sequence}"
        + (" (asks to confirm)" if sequence.confirm or halts else "")
        for number, sequence in enumerate(breaks, 1)
    ]


class BaudMenu(ModalScreen[int | None]):
    DEFAULT_CSS = """
    BaudMenu { align: center middle; }
    BaudMenu > OptionList { width: 30; height: auto; border: round $accent; }
    """
    BINDINGS = [Binding("escape", "dismiss_none", "Cancel", id="console.baud.cancel")]

    def __init__(self, current: int) -> None:
        super().__init__()
        self._current = current

    def compose(self) -> ComposeResult:
        options = OptionList(
            *(
                Option(f"{rate}" + (" (now)" if rate == self._current else ""), id=str(rate))
                for rate in BAUD_RATES
            )
        )
        options.border_title = "Baud rate"
        yield options

    def on_option_list_option_selected(self, message: OptionList.OptionSelected) -> None:
        self.dismiss(int(message.option.id or self._current))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class ConsoleScreen(Screen[None]):
    """The console of one host; the session outlives the screen when backgrounded."""

    DEFAULT_CSS = """
    ConsoleScreen #console-status { height: 1; background: $primary-background; padding: 0 1; }
    ConsoleScreen #console-footer { height: 1; background: $panel; padding: 0 1; }
    ConsoleScreen #console-menu { layer: menu; dock: top; offset: 2 2; width: 78; max-width: 98%;
                                  height: auto; border: round $accent; background: $surface;
                                  padding: 0 1; display: none; }
    ConsoleScreen { layers: base menu; }
    """

    def __init__(
        self,
        session: ConsoleSession,
        *,
        on_leave: LeaveCallback | None = None,
        backlog: bytes = b"",
        rack: bool = True,
    ) -> None:
        """`rack=False` in `lautre-tui console`: there is no rack to go back to."""
        super().__init__()
        self.rack = rack
        self.session = session
        self._leave_callback = on_leave
        self._backlog = backlog
        self._commands = asyncio.Lock()  # menu commands, and keys typed after them, in order
        self._in_flight = 0  # counted when typed, not when their worker starts
        self._told = ""  # the last message to everyone on this console, or take-over

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                plain(self._status_text(self.session.said)), id="console-status", markup=False
            )
            target = self.session.target
            sequences = {f"{SEQUENCE}{n}": s for n, s in enumerate(target.breaks, 1)}
            halts = {"break", "sysrq", *sequences} if target.break_halts else set()
            asks = {action for action, sequence in sequences.items() if sequence.confirm}
            keys = {action.removeprefix(SEQUENCE): action for action in sequences}
            yield TerminalView(
                menu={**MENU_KEYS, **keys},
                confirm_first=frozenset(halts | asks),
                confirm_sysrq=frozenset(SYSRQ_CONFIRM),
                id="terminal",
            )
            yield Static(plain(self._footer_text()), id="console-footer", markup=False)
        yield Static(plain(self._menu_text), id="console-menu", markup=False)

    @property
    def _menu_text(self) -> str:
        target = self.session.target
        return "\n".join([MENU_TEXT, *sequence_lines(target.breaks, target.break_halts)])

    def _footer_text(self) -> str:
        session = self.session
        if not session.read_only:
            mode = "writer"
        elif session.holding:
            mode = "spy (read-only; nobody writes: this session holds the port)"
        else:
            mode = "spy (read-only)"
        keys = self.session.target.keys_text
        if self.session.target.breaks:
            keys += f" · Ctrl-] 1-{len(self.session.target.breaks)} break sequences"
        if self._told:  # the last message first: the footer is one line
            return f"{mode} · {self._told} · Ctrl-] menu · {keys}"
        # the escape and the scrollback first: a narrow terminal cuts the end of the line
        back = " · Ctrl-] w back to the rack" if self.rack else ""
        return f"{mode} · Ctrl-] menu · Shift+PgUp scroll · {keys} · Ctrl-] . detach{back}"

    def _status_text(self, text: str) -> str:
        target = self.session.target
        return f"{target.host} · {target.url} · {self.session.baud_text} · {text}"

    @property
    def terminal(self) -> TerminalView:
        return self.query_one(TerminalView)

    def on_mount(self) -> None:
        if self._backlog:
            self.terminal.feed(self._backlog)  # what the console showed while away
        elif self.session.history:
            self.terminal.feed(self.session.history)  # the last screenful, as history
        self.session.subscribe(self._data, self._status, self._notice)
        self.terminal.focus()

    def on_unmount(self) -> None:
        self.session.unsubscribe(self._data, self._status, self._notice)

    def _notice(self, text: str) -> None:
        """A message to everyone on the console, or who took it: in the footer."""
        self._told = text
        with contextlib.suppress(NoMatches):
            self.query_one("#console-footer", Static).update(plain(self._footer_text()))
        self.notify(text, title=self.session.host, timeout=8)

    def _data(self, data: bytes | memoryview) -> None:
        with contextlib.suppress(NoMatches):  # a detach at exit speaks after the widgets went
            self.terminal.feed(data)

    def _status(self, text: str) -> None:
        with contextlib.suppress(NoMatches):
            self.query_one("#console-status", Static).update(plain(self._status_text(text)))
            self.query_one("#console-footer", Static).update(plain(self._footer_text()))
        if self.session.state in ("lost", "busy"):
            self.notify(text, title=self.session.host, severity="warning", timeout=8)

    def on_terminal_view_keys(self, message: TerminalView.Keys) -> None:
        if self._in_flight:  # typed after a command still running: sent after it
            self._in_flight += 1
            self._send_after_commands(message.data)
        elif (
            not self.session.send(self.session.target.typed(message.data))
            and self.session.read_only
        ):
            self.notify("read-only console: nothing is sent", timeout=2)

    @work(group="console-keys")
    async def _send_after_commands(self, data: bytes) -> None:
        try:
            async with self._commands:
                self.session.send(self.session.target.typed(data))
        finally:
            self._in_flight -= 1

    def _menu_shown(self, text: str | None) -> None:
        menu = self.query_one("#console-menu", Static)
        if text is not None:
            menu.update(plain(text))
        menu.display = text is not None

    def on_terminal_view_menu_opened(self, message: TerminalView.MenuOpened) -> None:
        self._menu_shown(self._menu_text)

    def on_terminal_view_menu_closed(self, message: TerminalView.MenuClosed) -> None:
        self._menu_shown(None)
        self.notify(message.why, timeout=3)

    def on_terminal_view_menu_command(self, message: TerminalView.MenuCommand) -> None:
        if message.action == "sysrq-armed":
            self._menu_shown(
                "SysRq: type the command key (h help, s sync, u remount read-only; "
                "b reboot, o off, c crash, e/i kill all ask for their key twice)"
            )
            return
        if message.action == "help":
            self.terminal.mode = "menu"  # the help is the menu, still waiting for its key
            self._menu_shown(self._menu_text)
            return
        if message.action == "confirm":
            self._menu_shown(self._confirm_text(message.key))
            return
        self._menu_shown(None)
        self._in_flight += 1
        self._run(message.action, message.key)

    def _confirm_text(self, what: str) -> str:
        host = self.session.host
        halts = (
            f"A BREAK on {host} halts it: a SPARC server drops to OpenBoot's ok prompt "
            "(break_halts in the layout)."
        )
        if what == "break":
            return f"{halts}\nPress the same key again to send it; any other key cancels."
        if what.startswith(SEQUENCE):
            number = what.removeprefix(SEQUENCE)
            sequence = self.session.target.breaks[int(number) - 1]
            said = f"{sequence.name} on {host}: sends {sequence.sequence}."
            key, sends = number, "it"
        else:
            key = what.removeprefix("sysrq ")
            does = SYSRQ_CONFIRM.get(key, f"SysRq {key}")
            said, sends = f"SysRq {key} on {host}: {does}.", f"the BREAK and {key}"
        lines = [said, halts] if self.session.target.break_halts else [said]
        lines.append(
            f"Press {key} again within {CONFIRM_SECONDS:g} s to send {sends}; "
            "any other key cancels."
        )
        return "\n".join(lines)

    def on_terminal_view_copied(self, message: TerminalView.Copied) -> None:
        """Scroll mode's y: to the terminal's clipboard (OSC 52, through SSH and tmux
        with set-clipboard); Y: to a file of the state folder."""
        lines = message.text.count("\n") + 1
        if not message.save:
            self.app.copy_to_clipboard(message.text)
            self.notify(f"{lines} line(s) copied to the clipboard (OSC 52)", timeout=4)
            return
        try:
            path = save_selection(self.session.host, message.text)
        except OSError as error:
            self.notify(f"not saved: {error}", severity="error", timeout=10)
            return
        self.notify(f"{lines} line(s) saved in {path}", timeout=15)

    def on_terminal_view_failed(self, message: TerminalView.Failed) -> None:
        self.notify(
            f"the console of {self.session.host} was closed: its output could not be shown "
            f"({message.reason}); everything it sent is in {transcript_path(self.session.host)}",
            severity="error",
            timeout=30,
        )
        self._run("detach")

    @work(group="console-menu")
    async def _run(self, action: str, key: str = "") -> None:
        try:
            async with self._commands:
                await self._command(action, key)
        finally:
            self._in_flight -= 1

    async def _command(self, action: str, key: str) -> None:
        session = self.session
        try:
            if action == "detach":
                if self._leave_callback is None:
                    await session.detach()
                self.dismiss_console(closed=True)
            elif action == "background" and not self.rack:
                self.notify(
                    "no rack here: this is `lautre-tui console` on its own; "
                    "Ctrl-] . detaches (run `lautre-tui` for the rack)",
                    timeout=6,
                )
            elif action == "background":
                self.dismiss_console(closed=False)
            elif action == "break":
                await session.send_break()
                self.notify("BREAK sent", timeout=3)
            elif action.startswith(SEQUENCE):
                sequence = session.target.breaks[int(action.removeprefix(SEQUENCE)) - 1]
                await session.send_break_sequence(sequence)
                self.notify(f"{sequence.name} sent", timeout=3)
            elif action == "sysrq":  # Linux takes the key within 5 s of the BREAK
                await session.send_sysrq(key)
                self.notify(f"BREAK and SysRq {key} sent", timeout=3)
            elif action == "baud":
                self.app.push_screen(BaudMenu(session.target.baud), self._baud_choice)
            elif action == "scroll":
                self.terminal.enter_scroll()
            elif action == "transcript":
                self.notify(str(transcript_path(session.host)), title="transcript", timeout=15)
            elif action == "reconnect":
                await session.reconnect()
            elif action == "who":
                people = await session.who()
                lines = who_lines(people) or ["nobody answers on this console's socket"]
                self.terminal.mode = "menu"  # still waiting for a key: w, ., Esc…
                self._menu_shown(f"On {session.host}:\n" + "\n".join(f"  {line}" for line in lines))
            elif action == "message":
                self.app.push_screen(MessageScreen(), self._message_written)
            elif action == "stty":
                rows, cols = self.terminal.size.height, self.terminal.size.width
                session.send(session.target.typed(f"stty rows {rows} cols {cols}\r".encode()))
        except ConsoleLinkError as error:
            self.notify(str(error), severity="error", timeout=10)

    def _message_written(self, text: str | None) -> None:
        if text:
            self.session.tell_everyone(text)

    def _baud_choice(self, baud: int | None) -> None:
        if baud is not None:
            self._set_baud(baud)

    @work(group="console-menu")
    async def _set_baud(self, baud: int) -> None:
        try:
            await self.session.set_baud(baud)
        except ConsoleLinkError as error:
            self.notify(str(error), severity="error")
            return
        self._status(f"{baud} baud")

    def dismiss_console(self, *, closed: bool) -> None:
        """Leave the console screen; `closed` when the session was detached."""
        if self._leave_callback is not None:
            self._leave_callback(self.session.host, closed)
        else:
            self.app.pop_screen()
