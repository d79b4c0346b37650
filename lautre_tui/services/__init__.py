"""Long-lived async services (status poller, console sessions, power control) that
publish state changes for the UI to subscribe to. No Textual."""
