"""L'Autre Net's layout, installed as package data so that `pip install .` ships it."""
