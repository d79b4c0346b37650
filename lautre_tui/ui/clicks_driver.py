"""Mouse reports for clicks and the wheel only.

Textual's Linux driver asks the terminal for every motion of the mouse (mode
1003): in an SSH session from the bastion each motion is a report on the wire
and a redraw, for hover effects this app does not need. Clicks and the wheel
(modes 1000 with SGR coordinates, 1006) are all it uses.
"""

from __future__ import annotations

from textual.drivers.linux_driver import LinuxDriver

CLICKS = "\x1b[?1000h"  # buttons and the wheel, no motion
SGR_COORDINATES = "\x1b[?1006h"  # positions past column 223, as text
ANY_MOTION = "\x1b[?1003h"  # what Textual asks for, and we do not


class ClicksOnlyDriver(LinuxDriver):
    def _enable_mouse_support(self) -> None:
        if not self._mouse:
            return
        self.write(CLICKS)
        self.write(SGR_COORDINATES)
        self.flush()
