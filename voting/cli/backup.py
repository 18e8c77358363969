"""Backups: ``flask --app wsgi voting backup OUT | restore IN`` (README §Backups).

``backup`` writes the database and ``keys/`` to one archive while the app
keeps serving; ``keys/`` (the record-signing key) is sealed in it under a
passphrase, typed or read from ``--keys-passphrase-file`` (cron), unless
``--keys-in-clear`` or ``--no-keys`` is given: voting/services/backup.py
says why. ``restore`` reads an archive back into an empty database and
``VOTING_KEYS_DIR``, then migrates to head. The use cases, the archive's
format and the checks live in voting/services/backup*.py; this module
reads arguments and passphrases, prints where everything went, and turns
domain errors into ``ClickException``. It never prints a secret.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import click
from flask import current_app
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from ..crypto.record import key_fingerprint
from ..db import database_url
from ..services import backup as service
from ..services.errors import DomainError
from ..services.passphrases import check_passphrase
from ..services.server_key import FILENAME
from ..services.server_key import installation_key
from ..services.server_key import MissingRecordKey
from ..services.server_key import public_key_bytes
from . import voting_cli

PASSPHRASE_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _passphrase(path: Path | None, *, confirm: bool):
    """A function giving the passphrase: the first line of ``path``, or typed."""
    def read() -> str:
        if path is not None:
            lines = path.read_text(encoding="utf-8").splitlines()
            return lines[0] if lines else ""
        try:
            return click.prompt("Passphrase for keys/", hide_input=True,
                                confirmation_prompt=confirm, value_proc=_checked if confirm
                                else None, err=True)
        except click.Abort:
            raise click.ClickException("no passphrase typed: give --keys-passphrase-file "
                                       "FILE (e.g. in cron)") from None
    return read


def _checked(value: str) -> str:
    try:
        return check_passphrase(value)
    except DomainError as exc:
        raise click.UsageError(exc.message) from exc


def _keys_mode(passphrase_file, in_clear: bool, no_keys: bool) -> service.KeysMode:
    if sum([passphrase_file is not None, in_clear, no_keys]) > 1:
        raise click.UsageError("give at most one of --keys-passphrase-file, --keys-in-clear "
                               "and --no-keys")
    if in_clear:
        return service.KeysMode.CLEAR
    return service.KeysMode.NONE if no_keys else service.KeysMode.SEALED


def _warn(message: str) -> None:
    click.secho(f"WARNING: {message}", err=True, fg="red", bold=True)


@voting_cli.command("backup")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
@click.option("--keys-passphrase-file", type=PASSPHRASE_FILE,
              help="Seal keys/ under the passphrase on this file's first line "
                   "(else it is asked).")
@click.option("--keys-in-clear", is_flag=True,
              help="Put keys/ in OUT unencrypted: OUT then holds the record-signing key.")
@click.option("--no-keys", is_flag=True, help="Leave keys/ out of OUT.")
def backup(out: Path, force: bool, keys_passphrase_file: Path | None, keys_in_clear: bool,
           no_keys: bool) -> None:
    """Back up the database and keys/ to the archive OUT, while serving."""
    mode = _keys_mode(keys_passphrase_file, keys_in_clear, no_keys)
    config = current_app.config
    with _refusals():
        report = service.create_backup(
            database_url(current_app), config["VOTING_KEYS_DIR"], out, keys=mode,
            passphrase=_passphrase(keys_passphrase_file, confirm=True), force=force)
    manifest = report.manifest
    click.echo(f"wrote {out} (mode 0600): {manifest['dialect']} database at revision "
               f"{manifest['alembic_revision']}, {out.stat().st_size} bytes")
    click.echo(f"sha256 {report.sha256}  (note it apart to check the copy before a restore)")
    keys, files = manifest["keys"], ", ".join(manifest["keys"]["files"])
    if keys["mode"] == "sealed":
        click.echo(f"keys/ ({files}) is in {out} as {keys['member']}, sealed under your "
                   "passphrase: keep the passphrase apart from the archive; restore needs it")
    elif keys["mode"] == "clear":
        _warn(f"{out} holds keys/ ({files}) IN CLEAR, the record-signing key included: "
              "whoever reads it can sign records as this installation. Keep it offline, "
              "apart from ordinary backups.")
    else:
        _warn(f"keys/ ({config['VOTING_KEYS_DIR']}) is not in this backup: keep a copy of "
              f"{FILENAME} apart, or the restored server cannot sign its rounds' records.")
    if config["VOTING_RECORD_KEY"]:
        _warn("the record-signing key comes from VOTING_RECORD_KEY, which no backup "
              "holds: keep it in your secret store.")


@contextmanager
def _refusals():
    """A refusal of the service, or the database's error, as the command's
    error message (exit code 1)."""
    try:
        yield
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    except SQLAlchemyError as exc:
        raise click.ClickException(f"the database: {getattr(exc, 'orig', None) or exc}") from exc


def _public_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@voting_cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--keys-passphrase-file", type=PASSPHRASE_FILE,
              help="The passphrase of the sealed keys/ on this file's first line "
                   "(else it is asked).")
@click.option("--force", is_flag=True,
              help="Replace files in VOTING_KEYS_DIR that differ from the backup's.")
def restore(archive: Path, keys_passphrase_file: Path | None, force: bool) -> None:
    """Restore the archive ARCHIVE into an empty database and keys/."""
    config, url = current_app.config, database_url(current_app)
    current_app.extensions["voting.engine"].dispose()
    with _refusals():
        report = service.restore_backup(
            url, config["VOTING_KEYS_DIR"], archive,
            passphrase=_passphrase(keys_passphrase_file, confirm=False), force=force)
    manifest = report.manifest
    click.echo(f"restored the backup of {manifest['created_at']} into {_public_url(url)} "
               f"(revision {manifest['alembic_revision']}, now {report.revision})")
    keys_dir = config["VOTING_KEYS_DIR"]
    for name in report.keys_written:
        click.echo(f"wrote {Path(keys_dir) / name} (mode 0600)")
    for name in report.keys_unchanged:
        click.echo(f"kept {Path(keys_dir) / name} (the same as the backup's)")
    _check_record_key(config, report.round_keys)


def _check_record_key(config, round_keys: frozenset[str]) -> None:
    try:
        key = installation_key(config["VOTING_RECORD_KEY"], config["VOTING_KEYS_DIR"],
                               create=False)
    except MissingRecordKey as exc:
        _warn(f"{exc}")
        return
    fingerprint = key_fingerprint(public_key_bytes(key))
    click.echo(f"record-signing key: {fingerprint}")
    if round_keys - {fingerprint}:
        _warn(f"the restored rounds name the record key {', '.join(sorted(round_keys))}, "
              "not this one: their records would fail check 3; restore the original key.")
