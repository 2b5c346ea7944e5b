"""The ``sunpy-sr`` command line (light to import: each subcommand imports what it needs)."""
from sunpy_sr.cli.main import main

__all__ = ["main"]
