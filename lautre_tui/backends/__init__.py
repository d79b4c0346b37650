"""I/O adapters: asyncssh connections, pyserial ports, the APC NMC CLI driver. No Textual."""
