"""The Textual app: screens and widgets. Talks to services only, never to sockets."""
