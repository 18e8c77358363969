"""The installation's record-signing key (PROTOCOL §13):
``flask --app wsgi voting record-key new | show``.

``new`` makes the one key of an installation, once: it writes the PEM with
mode 0600, never overwriting, and prints the fingerprint to publish. Give
every host and worker that same file (``VOTING_KEYS_DIR``) or its text
(``VOTING_RECORD_KEY``). ``show`` prints the fingerprint of the key the
server signs with. Neither ever prints the key itself.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ..crypto.record import fingerprint_groups
from ..crypto.record import key_fingerprint
from ..services import server_key
from . import voting_cli

record_key_cli = AppGroup("record-key", help="The installation's record-signing key.")
voting_cli.add_command(record_key_cli)


def _echo_fingerprint(key) -> None:
    fingerprint = key_fingerprint(server_key.public_key_bytes(key))
    click.echo(f"fingerprint: {fingerprint_groups(fingerprint)}")
    click.echo(f"voting-verify RECORD.zip --server-key {fingerprint}")


@record_key_cli.command("new")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help=f"Where to write the key (default: VOTING_KEYS_DIR/{server_key.FILENAME}).")
def new(out: Path | None) -> None:
    """Make the installation's key, once (mode 0600, never overwriting)."""
    if out is None and current_app.config["VOTING_RECORD_KEY"]:
        raise click.ClickException("VOTING_RECORD_KEY is set: this installation has its key")
    path = out or Path(current_app.config["VOTING_KEYS_DIR"]) / server_key.FILENAME
    try:
        key = server_key.create_key_file(path)
    except FileExistsError:
        raise click.ClickException(f"{path} exists and is kept: an installation has one "
                                   "key ('record-key show' prints its fingerprint)") from None
    click.echo(f"wrote {path} (mode 0600); give every host and worker this same key")
    _echo_fingerprint(key)


@record_key_cli.command("show")
def show() -> None:
    """Print the fingerprint of the key the server signs records with."""
    config = current_app.config
    try:
        key = server_key.installation_key(config["VOTING_RECORD_KEY"], config["VOTING_KEYS_DIR"],
                                          create=False)
    except server_key.MissingRecordKey as exc:
        raise click.ClickException(str(exc)) from None
    _echo_fingerprint(key)
