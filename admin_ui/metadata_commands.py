"""``tessera metadata …``: validate packages and generate their JSON Schema."""

from __future__ import annotations

import typer

app = typer.Typer(help="Validate metadata packages and generate JSON Schema.", no_args_is_help=True)
