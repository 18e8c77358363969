"""Card commands: make cards on an offline machine, import their credentials.

``make-cards`` needs no database and no server: it takes the rounds' public
ids, writes the print sheet (the only copy of the tokens) and the public
credentials file. ``import-credentials`` registers that file on the server,
which then never sees a token at all (PROTOCOL §8.1).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
from flask import current_app

from ..services import cardfile
from ..services import cardsheet
from ..services import conferences
from ..services import exact
from ..services.errors import DomainError
from . import operator_session
from . import voting_cli

SHEET, CREDENTIALS = "cards.html", "credentials.json"


def _round_titles(pairs: tuple[str, ...], round_ids: list[str]) -> list[str]:
    """Each round's title from ``ID=TITLE`` options, the id where none is given."""
    titles = {}
    for pair in pairs:
        rid, sep, title = pair.partition("=")
        if not sep or rid.strip() not in round_ids or not title.strip():
            raise click.BadParameter(f"expected ID=TITLE with an ID from --rounds: {pair!r}",
                                     param_hint="--round-title")
        titles[rid.strip()] = title.strip()
    return [titles.get(rid, rid) for rid in round_ids]


def _write_new(path: Path, data: bytes) -> None:
    """Write a new file readable by its owner only; never overwrite one."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise click.ClickException(f"{path} already exists; choose another --out") from exc
    with os.fdopen(fd, "wb") as out:
        out.write(data)


@voting_cli.command("make-cards")
@click.option("--rounds", "rounds_csv", required=True,
              help="The public ids of the rounds the cards cover, comma-separated (r-...); "
                   "include the conference's reserve rounds (listed on its cards page) so "
                   "that a run-off can be voted on the same cards.")
@click.option("--count", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--spares", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--first-serial", type=click.IntRange(min=1), default=1, show_default=True,
              help="Serial of the first card; choose one after the conference's existing cards.")
@click.option("--conference-name", required=True)
@click.option("--round-title", "round_title_pairs", multiple=True, metavar="ID=TITLE",
              help="A round's title as printed on the cards (repeat for each round).")
@click.option("--public-url", help="The server's public address [default: VOTING_PUBLIC_URL].")
@click.option("--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help=f"Directory for {SHEET} (its stylesheet embedded) and {CREDENTIALS}.")
def make_cards(rounds_csv: str, count: int, spares: int, first_serial: int,
               conference_name: str, round_title_pairs: tuple[str, ...],
               public_url: str | None, out_dir: Path) -> None:
    """Make ballot cards OFFLINE: the print sheet and the credentials file."""
    round_ids = [rid.strip() for rid in rounds_csv.split(",") if rid.strip()]
    titles = _round_titles(round_title_pairs, round_ids)
    try:
        issued, document = cardfile.offline_cards(round_ids, count=count, spares=spares,
                                                  first_serial=first_serial)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    html = cardsheet.render_sheet(
        issued, conference_name=conference_name, round_titles=titles,
        public_url=public_url or current_app.config["VOTING_PUBLIC_URL"])
    out_dir.mkdir(parents=True, exist_ok=True)
    if (out_dir / SHEET).exists() or (out_dir / CREDENTIALS).exists():
        raise click.ClickException(f"{out_dir} already holds cards; choose another --out")
    _write_new(out_dir / SHEET, html.encode())
    _write_new(out_dir / CREDENTIALS, json.dumps(document, indent=1).encode() + b"\n")
    click.echo(f"{len(issued)} cards, serials {issued[0].serial} to {issued[-1].serial}:")
    click.echo(f"  print {out_dir / SHEET} (the only copy of the card codes; delete it after)")
    click.echo(f"  import {out_dir / CREDENTIALS} on the server with: "
               "flask --app wsgi voting import-credentials --conference-id N FILE")


@voting_cli.command("import-credentials")
@click.option("--conference-id", type=int, required=True)
@click.argument("file", type=click.File("rb"))
def import_credentials(conference_id: int, file) -> None:
    """Register the cards of a credentials file made by make-cards."""
    try:
        document = exact.loads(file.read())  # strict: integers within ±2^53, no floats
    except (ValueError, RecursionError) as exc:
        raise click.ClickException(f"{file.name} is not JSON: {exc}") from exc
    session = operator_session()
    try:
        conference = conferences.get_conference(session, conference_id)
        serials = cardfile.import_credentials(session, conference, document)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"imported {len(serials)} cards, serials {min(serials)} to {max(serials)}")
