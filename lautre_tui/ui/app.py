"""The full-screen app: start-up, the admin's keymap, the help, and the screens. The
rack screen shows the rack; the site object owns the services; the app only
builds them together and closes them at the end."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from lautre_tui.model.errors import LayoutError
from lautre_tui.model.layout import Layout
from lautre_tui.services.site import Site
from lautre_tui.ui.badges import legend
from lautre_tui.ui.keymap import binding_ids, load_keymap
from lautre_tui.ui.messages import MaintenanceChanged
from lautre_tui.ui.plain import SafeApp
from lautre_tui.ui.rack_screen import RackScreen
from lautre_tui.ui.rack_view import RackView

if TYPE_CHECKING:
    from lautre_tui.ui.lab_faults import Injector
    from lautre_tui.ui.maintenance_watch import MaintenanceWatch


class RackApp(SafeApp[int]):
    """Browse a rack; `layout` is loaded once, before the app starts. Without a
    `site`, the rack is shown as the layout draws it, with no service."""

    TITLE = "lautre-tui"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "help", "Keys", key_display="?", id="app.help"),
    ]

    def __init__(
        self,
        layout: Layout,
        *,
        layout_path: Path | str,
        errors: Sequence[LayoutError] = (),
        read_only: bool = False,
        fault_injector: Injector | None = None,
        site: Site | None = None,
    ) -> None:
        super().__init__()
        self.site = site if site is not None else Site.layout_only(layout)
        self.maintenance: MaintenanceWatch | None = None  # made after the first paint
        self.fault_injector = fault_injector
        self.layout_path = Path(layout_path)
        self.layout_errors = list(errors)
        self.read_only = read_only

    def get_default_screen(self) -> RackScreen:
        return RackScreen(
            self.site,
            layout_path=self.layout_path,
            read_only=self.read_only,
            fault_injector=self.fault_injector,
        )

    @property
    def rack_screen(self) -> RackScreen:
        screen = self.screen_stack[0]
        assert isinstance(screen, RackScreen)
        return screen

    def on_mount(self) -> None:
        self.call_after_refresh(self._collect_from_now_on)
        if self.site.has_maintenance:
            self.call_after_refresh(self._watch_maintenance)
        keymap, problems = load_keymap(known=binding_ids(self))
        if keymap:
            self.set_keymap(keymap)
        for problem in problems:
            self.notify(problem, title="keymap", severity="warning", timeout=10)
        if self.layout_errors:
            shown = "\n".join(str(error) for error in self.layout_errors[:5])
            more = len(self.layout_errors) - 5
            if more > 0:
                shown += f"\n… and {more} more (lautre-tui validate)"
            self.notify(
                shown,
                title=f"{len(self.layout_errors)} layout errors",
                severity="error",
                timeout=30,
            )

    def _collect_from_now_on(self) -> None:
        """`run_app` starts the app with the cyclic collector off; what was built until
        the first frame (modules, layout, widgets) lives as long as the app, so it is
        kept out of every later collection."""
        if not gc.isenabled():
            gc.freeze()
            gc.enable()

    def _watch_maintenance(self) -> None:
        """The shared windows and acknowledgements, read from now on: SQLite, the audit
        log and the dialogs are not needed for the rack's first frame."""
        from lautre_tui.ui.maintenance_watch import MaintenanceWatch

        self.maintenance = MaintenanceWatch(self, self.site.maintenance_service)
        self.rack_screen.maintenance = self.maintenance
        self.maintenance.start()

    async def on_unmount(self) -> None:
        await self.site.close()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's (theme, quit…), with our `?` as Keys, then the rack's."""
        for command in super().get_system_commands(screen):
            if command.title != "Keys":
                yield command
        yield SystemCommand("Keys", "every key of the app, with your keymap", self.action_help)
        if isinstance(screen, RackScreen):
            from lautre_tui.ui.palette import rack_commands

            yield from rack_commands(screen)

    async def action_quit(self) -> None:
        """With consoles open in the background, asks first: quitting detaches them."""
        consoles = self.site.consoles
        hosts = sorted(consoles.sessions) if consoles is not None else []
        if not hosts:
            await super().action_quit()
            return
        from lautre_tui.ui.console_dialogs import QuitWithConsoles

        def chosen(quit: bool | None) -> None:
            if quit:
                self.exit()

        self.push_screen(QuitWithConsoles(hosts), chosen)

    def maintenance_changed(self) -> None:
        """The shared windows or acknowledgements changed (here or in another app)."""
        self.rack_screen.post_message(MaintenanceChanged())

    def action_help(self) -> None:
        sections: list[tuple[str, Binding]] = []
        for source, bindings in (
            ("app", [*self.BINDINGS, *RackScreen.BINDINGS]),
            ("rack", RackView.BINDINGS),
        ):
            sections += [(source, self._as_bound(b)) for b in bindings if isinstance(b, Binding)]
        sections.append(
            ("app", Binding("tab", "focus_next", "Switch between rack and pane", key_display="Tab"))
        )
        sections.append(
            ("rack", Binding("enter", "activate", "Open the device's pane", key_display="Enter"))
        )
        sections.append(
            ("app", Binding("ctrl+p", "command_palette", "Command palette", key_display="Ctrl+P"))
        )
        from lautre_tui.ui.help_screen import HelpScreen

        self.push_screen(HelpScreen(sections, legend=legend()))

    def _as_bound(self, binding: Binding) -> Binding:
        """The binding with the keys the admin's keymap gives it (the help never lies)."""
        keys = self._keymap.get(binding.id or "")
        return replace(binding, key=keys, key_display=None) if keys else binding
