"""Database commands: migrate to the latest schema."""

from __future__ import annotations

import click
from flask import current_app

from ..migrate import upgrade
from . import voting_cli


@voting_cli.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    upgrade(current_app)
    click.echo("database is at the latest schema")
