"""The offline key ceremony and offline decryption (PROTOCOL §4.1, §4.4, §11):
``flask --app wsgi voting deal-offline | import-keys | export-tally |
decrypt-offline | submit-partial``.

On an air-gapped machine ``deal-offline`` deals the key and writes
``public.json`` and one passphrase-sealed ``share-<i>.json`` per trustee;
the server gets only ``public.json`` (``import-keys``), and its key's
ceremony is ``dealer``. After a round closes, ``export-tally`` writes what a
trustee needs, ``decrypt-offline`` computes that trustee's partial
decryption from their share file, and ``submit-partial`` puts it on the
board.

The use cases, the share file's format and its envelope (label
``voting/v1/offline-share``, context ``label | i | K_i | E | P``) live in
voting/services/offline.py and voting/crypto/envelope.py. This module only
reads arguments, prompts for passphrases, reads and writes files (secrets
with mode 0600, never overwriting; strict JSON) and turns domain errors
into ``ClickException``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from ..models import Conference
from ..services import exact
from ..services import offline
from ..services import rounds
from ..services import tallying
from ..services.errors import DomainError
from . import operator_session
from . import voting_cli

# -- files and prompts -------------------------------------------------------

def _write_secret(path: Path, obj: dict) -> None:
    """Write JSON readable by the owner only (mode 0600), never overwriting."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")


def _read_json(path: Path) -> dict:
    try:  # strict JSON: no floats or repeated keys, integers within ±2^53
        obj = exact.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError) as exc:
        raise click.ClickException(f"cannot read {path}: {exc}") from exc
    if not isinstance(obj, dict):
        raise click.ClickException(f"{path} is not a JSON object")
    return obj


def _check_passphrase(value: str) -> str:
    try:
        return offline.check_passphrase(value)
    except DomainError as exc:
        raise click.UsageError(exc.message) from exc


# -- commands ----------------------------------------------------------------

@voting_cli.command("deal-offline")
@click.option("--threshold", "-t", type=click.IntRange(1, offline.MAX_TRUSTEES), required=True)
@click.option("--trustee", "names", multiple=True, required=True, help="Repeat for each trustee.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
def deal_offline(threshold: int, names: tuple[str, ...], out: Path) -> None:
    """Deal a t-of-n key on this (air-gapped) machine into OUT."""
    try:
        names = offline.check_trustees(threshold, list(names))
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise click.ClickException(f"{out} is not empty")
    passphrases = {}
    for index, name in enumerate(names, start=1):
        click.echo(f"Trustee {index}, {name}: type your passphrase (it is not shown).")
        passphrases[index] = click.prompt("Passphrase", hide_input=True,
                                          confirmation_prompt=True, value_proc=_check_passphrase)
    try:
        public, share_files = offline.deal_offline(threshold, names, passphrases)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        passphrases.clear()
    for index, share_file in share_files.items():
        _write_secret(out / f"share-{index}.json", share_file)
    _write_secret(out / "public.json", public)
    click.echo(f"joint public key: {offline.public_key_hex(public)}")
    click.echo(f"wrote {out / 'public.json'} and {len(names)} share files; give each trustee "
               "their own file and delete it here")


@voting_cli.command("import-keys")
@click.option("--conference-id", type=int, required=True)
@click.argument("public_json", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_keys(conference_id: int, public_json: Path) -> None:
    """Install an offline dealing's public.json into a conference."""
    session = operator_session()
    conference = session.get(Conference, conference_id)
    if conference is None:
        raise click.ClickException(f"no conference {conference_id}")
    try:
        offline.install_offline_trustees(session, conference, _read_json(public_json))
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"conference {conference_id}: {conference.threshold} of "
               f"{conference.trustee_count} trustees, key {conference.public_key}")


@voting_cli.command("export-tally")
@click.option("--round", "round_id", required=True, help="The round's public id (r-…).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def export_tally(round_id: str, out: Path) -> None:
    """Write a closed round's election object and encrypted tally."""
    try:
        obj = offline.export_tally(operator_session(), round_id)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    out.write_text(json.dumps(obj, ensure_ascii=False) + "\n", encoding="utf-8")
    click.echo(f"wrote {out}")


@voting_cli.command("decrypt-offline")
@click.option("--share", "share_path", type=click.Path(exists=True, dir_okay=False,
                                                         path_type=Path), required=True)
@click.option("--tally", "tally_path", type=click.Path(exists=True, dir_okay=False,
                                                         path_type=Path), required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def decrypt_offline(share_path: Path, tally_path: Path, out: Path) -> None:
    """Compute a trustee's partial decryption from their share file."""
    share_file, tally_file = _read_json(share_path), _read_json(tally_path)
    try:  # a share of another key is refused before any passphrase is asked
        index = offline.share_index_for(share_file, tally_file)
        passphrase = click.prompt(f"Passphrase of trustee {index}", hide_input=True)
        partial = offline.decrypt_offline(share_file, tally_file, passphrase)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    out.write_text(json.dumps(partial) + "\n", encoding="utf-8")
    click.echo(f"wrote the partial decryption of trustee {index} to {out}")


@voting_cli.command("submit-partial")
@click.option("--round", "round_id", required=True, help="The round's public id (r-…).")
@click.argument("partial_json", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def submit_partial(round_id: str, partial_json: Path) -> None:
    """Verify a partial decryption and put it on the round's board."""
    partial = _read_json(partial_json)
    session = operator_session()
    try:
        rnd = rounds.get_round_by_public_id(session, round_id)
        tallying.submit_partial(session, rnd, partial.get("trustee"), partial)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"partial decryption of trustee {partial['trustee']} is on the board")
