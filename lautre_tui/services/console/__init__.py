"""Serial consoles shared by the admins of a bastion: one writer, any number of spies.

See `session` (attach, spy, take over), `share` (the holder's socket), `client`
(a spy's side of it), `claim` (who holds a console), `transcript` (the record of
every byte), `history` and `plaintext` (reading it back) and `target`.
"""

from lautre_tui.services.console.claim import (
    ConsoleHeld,
    attendees,
    claim_path,
    describe,
    holder,
    local_time,
    share_path,
    who_lines,
)
from lautre_tui.services.console.manager import ConsoleManager
from lautre_tui.services.console.session import (
    BreakUnsupported,
    ConsoleLinkError,
    ConsoleSession,
    Holder,
    open_in_background,
)
from lautre_tui.services.console.target import ConsoleTarget, target_for
from lautre_tui.services.console.transcript import (
    Transcript,
    backlog,
    consoles_dir,
    save_selection,
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
    "attendees",
    "backlog",
    "claim_path",
    "consoles_dir",
    "describe",
    "holder",
    "local_time",
    "open_in_background",
    "save_selection",
    "share_path",
    "target_for",
    "transcript_path",
    "who_lines",
]
