"""Console sessions: the emergency path to a host, independent of SSH and the poller.

One session per port per process (a second open joins it). Everything the port
sends is appended to `$XDG_STATE_HOME/lautre-tui/consoles/HOST.log` with event
lines in the flow (attach, break, baud, detach, reconnect, power actions);
what the admin types is not (passwords). A lost connection says so in the flow
and reconnects with back-off. A lock file beside the transcript tells other
admins of this bastion who holds the port and since when; a port another admin
holds elsewhere answers "busy", and the transcript can be followed read-only.
"""

from lautre_tui.services.console.manager import ConsoleManager
from lautre_tui.services.console.session import (
    BreakUnsupported,
    ConsoleHeld,
    ConsoleLinkError,
    ConsoleSession,
    Holder,
    claim_path,
    holder,
    open_in_background,
)
from lautre_tui.services.console.target import ConsoleTarget, target_for
from lautre_tui.services.console.transcript import (
    Transcript,
    backlog,
    consoles_dir,
    transcript_path,
)

__all__ = [
    "BreakUnsupported",
    "ConsoleHeld",
    "ConsoleLinkError",
    "ConsoleManager",
    "ConsoleSession",
    "ConsoleTarget",
    "Holder",
    "Transcript",
    "backlog",
    "claim_path",
    "consoles_dir",
    "holder",
    "open_in_background",
    "target_for",
    "transcript_path",
]
