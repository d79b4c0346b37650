"""lautre-tui: look after L'Autre Net's server rack from the bastion host."""

__version__ = "0.1.0"
