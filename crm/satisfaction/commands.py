"""Command-line commands of the satisfaction pages: `python -m crm ...` (registered by `crm.cli`)."""

from __future__ import annotations


def register(add, add_period) -> None:
    """Add this domain's subcommands; `add(name, func, help)` returns the argparse parser of one command."""
