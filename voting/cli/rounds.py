"""``voting close-due``: close the rounds whose closing time has come.

The app closes a due round on the next request anyway (the hall screen
asks every few seconds); from cron this closes it with no one watching.
"""

from __future__ import annotations

import click

from ..db import get_session
from ..services.rounds import close_due_rounds
from . import voting_cli


@voting_cli.command("close-due")
def close_due() -> None:
    """Close every open round whose closing time has passed."""
    closed = close_due_rounds(get_session())
    click.echo(f"closed {len(closed)} round(s)")
