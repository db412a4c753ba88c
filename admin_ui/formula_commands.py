"""``tessera formula …``: check and evaluate formulas from the terminal."""

from __future__ import annotations

import typer

app = typer.Typer(help="Check and evaluate formulas.", no_args_is_help=True)
