"""Textual's Footer, without the keys it recomposed away.

Each FooterKey watches its Footer's `compact` through a data binding, and Textual
drops a watcher of a removed widget only when the watched value changes, which
`compact` never does here: every screen switch (the console and back, the power
panel) left about ten dead FooterKeys and their styles behind, a leak the soak
measured at about 3 MB a minute of console round trips.
"""

from __future__ import annotations

from textual.widgets import Footer


class LeanFooter(Footer):
    async def recompose(self) -> None:
        await super().recompose()
        watchers: dict[str, list[tuple[object, object]]] = getattr(self, "__watchers", {})
        for bound in watchers.values():
            bound[:] = [
                (node, callback)
                for node, callback in bound
                if getattr(node, "is_attached", True) and not getattr(node, "_closing", False)
            ]
