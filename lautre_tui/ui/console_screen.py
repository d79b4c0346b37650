"""A console full screen: the terminal, a status line, and the escape menu.

Ctrl-] opens the menu, like conserver's ^Ec and picocom's C-a: `.` or `q`
detach, `b` BREAK, `s` BREAK for a Magic SysRq (the next key is the command), `B`
baud rate, `l` transcript path, `r` reconnect, `z` send `stty rows R cols C`,
`w` back to the rack with the console kept open, `?` help. The footer always
says how to get out.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from lautre_tui.services.console import (
    ConsoleLinkError,
    ConsoleSession,
    transcript_path,
)
from lautre_tui.ui.terminal import TerminalView

LeaveCallback = Callable[[str, bool], None]
BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
MENU = (
    (".", "detach", "detach (close this console)"),
    ("q", "detach", "detach (close this console)"),
    ("b", "break", "send a BREAK"),
    ("s", "sysrq", "BREAK, then your next key is a Magic SysRq command (h for help)"),
    ("B", "baud", "change the baud rate"),
    ("l", "transcript", "show the transcript's path"),
    ("r", "reconnect", "reconnect now"),
    ("z", "stty", "send `stty rows R cols C` for this window's size"),
    ("w", "background", "back to the rack, keep this console open (c reopens it)"),
    ("?", "help", "this help"),
)


class EscapeMenu(ModalScreen[str | None]):
    """One key picks an action; Esc or Ctrl-] again goes back to the console."""

    DEFAULT_CSS = """
    EscapeMenu { align: center middle; }
    EscapeMenu > Static { width: 76; max-width: 98%; height: auto; border: round $accent;
                          background: $surface; padding: 0 1; }
    """
    BINDINGS = [
        Binding(
            "escape,ctrl+right_square_bracket",
            "pick(None)",
            "Back to the console",
            id="console.menu.close",
        ),
        *(
            Binding(
                key if key not in "?." else {"?": "question_mark", ".": "full_stop"}[key],
                f"pick('{action}')",
                text,
                show=False,
                id=f"console.menu.{action}.{n}",
            )
            for n, (key, action, text) in enumerate(MENU)
        ),
    ]

    def compose(self) -> ComposeResult:
        lines = [f"  {key}  {text}" for key, _action, text in MENU if key != "q"]
        menu = Static("\n".join(["Console menu (Esc: back to the console)", *lines]), markup=False)
        yield menu

    def action_pick(self, action: str | None) -> None:
        self.dismiss(action)


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
    """

    def __init__(
        self,
        session: ConsoleSession,
        *,
        on_leave: LeaveCallback | None = None,
        backlog: bytes = b"",
    ) -> None:
        super().__init__()
        self.session = session
        self._leave_callback = on_leave
        self._backlog = backlog

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._status_text(self.session.state), id="console-status", markup=False)
            yield TerminalView(id="terminal")
            mode = "read-only · " if self.session.read_only else ""
            yield Static(
                f"{mode}Ctrl-] menu · Ctrl-] . detach · Ctrl-] w back to the rack",
                id="console-footer",
                markup=False,
            )

    def _status_text(self, text: str) -> str:
        target = self.session.target
        return f"{target.host} · {target.url} · {self.session.baud_text} · {text}"

    @property
    def terminal(self) -> TerminalView:
        return self.query_one(TerminalView)

    def on_mount(self) -> None:
        if self._backlog:
            self.terminal.feed(self._backlog)  # what the console showed while away
        self.session.subscribe(self._data, self._status)
        self.terminal.focus()

    def on_unmount(self) -> None:
        self.session.unsubscribe(self._data, self._status)

    def _data(self, data: bytes) -> None:
        self.terminal.feed(data)

    def _status(self, text: str) -> None:
        self.query_one("#console-status", Static).update(self._status_text(text))
        if self.session.state in ("lost", "busy"):
            self.notify(text, title=self.session.host, severity="warning", timeout=8)

    def on_terminal_view_keys(self, message: TerminalView.Keys) -> None:
        if not self.session.send(message.data) and self.session.read_only:
            self.notify("read-only console: nothing is sent", timeout=2)

    def on_terminal_view_escape_key(self, message: TerminalView.EscapeKey) -> None:
        self.app.push_screen(EscapeMenu(), self._menu_choice)

    def _menu_choice(self, action: str | None) -> None:
        if action is not None:
            self._run(action)

    @work(group="console-menu")
    async def _run(self, action: str) -> None:
        session = self.session
        try:
            if action == "detach":
                if self._leave_callback is None:
                    await session.detach()
                self.dismiss_console(closed=True)
            elif action == "background":
                self.dismiss_console(closed=False)
            elif action in ("break", "sysrq"):
                await session.send_break()
                if action == "sysrq":
                    self.notify(
                        "BREAK sent: press the SysRq command key now (h for help)", timeout=5
                    )
            elif action == "baud":
                self.app.push_screen(BaudMenu(session.target.baud), self._baud_choice)
            elif action == "transcript":
                self.notify(str(transcript_path(session.host)), title="transcript", timeout=15)
            elif action == "reconnect":
                await session.reconnect()
            elif action == "stty":
                rows, cols = self.terminal.size.height, self.terminal.size.width
                session.send(f"stty rows {rows} cols {cols}\r".encode())
            elif action == "help":
                self.app.push_screen(EscapeMenu(), self._menu_choice)
        except ConsoleLinkError as error:
            self.notify(str(error), severity="error", timeout=10)

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
