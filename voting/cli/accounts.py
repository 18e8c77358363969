"""Account commands: create users, and the first-run chair account."""

from __future__ import annotations

import click

from ..models import Role
from ..services import accounts
from ..services.errors import DomainError
from . import operator_session
from . import voting_cli


@voting_cli.command("create-user")
@click.argument("username")
@click.option("--name", default="", help="Display name.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.CHAIR.value)
@click.password_option(help="Asked for when not given.")
def create_user(username: str, name: str, role: str, password: str) -> None:
    """Create a chair or auditor account."""
    try:
        accounts.create_user(operator_session(), username, name, password, Role(role))
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"created {role} account {username!r}")


@voting_cli.command("bootstrap")
def bootstrap() -> None:
    """Create the first chair account on an empty database and print its
    password once (``make run`` calls this)."""
    password = accounts.bootstrap_chair(operator_session())
    if password is None:
        return
    click.echo("\n" + "=" * 64)
    click.echo("First run: a chair account was created.")
    click.echo("  username: chair")
    click.echo(f"  password: {password}")
    click.echo("It is shown only now. Log in and create personal accounts with")
    click.echo("  .venv/bin/flask --app wsgi voting create-user NAME")
    click.echo("=" * 64 + "\n")
