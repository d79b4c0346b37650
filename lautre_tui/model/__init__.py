"""Pure data: the layout, its validation and the states. No I/O libraries here."""
