"""The offline key ceremony and offline decryption (PROTOCOL §4, §11, §15).

On an air-gapped machine ``deal-offline`` deals the key and writes
``public.json`` and one passphrase-encrypted ``share-<i>.json`` per trustee;
the server gets only ``public.json`` (``import-keys``). After a round closes,
``export-tally`` writes what a trustee needs, ``decrypt-offline`` computes that
trustee's partial decryption from their share file, and ``submit-partial``
puts it on the board.

A share file is sealed exactly as the browser's key ceremony seals a share
(voting/static/src/trustee/), with its own context so that the two kinds of
envelope can never be swapped:

- seed = scrypt(utf8(NFC(passphrase)), salt, N=2^15, r=8, p=1, 32 bytes);
  the X25519 private key is the seed, the enrolment key its public key;
- an ephemeral X25519 key e; shared = X25519(e, enrolment key);
- context = "voting/v1/offline-share" | index | e_pub | enrolment key | K_i
  (decimal ASCII index, raw 32-byte keys, joined with "|");
- key = HKDF-SHA256(shared, salt = none (zeros), info = context);
- ciphertext = ChaCha20-Poly1305(key, random 12-byte nonce, s_i as 32 bytes
  little-endian, associated data = context).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import unicodedata
from pathlib import Path

import click
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.hazmat.primitives.serialization import PublicFormat

from ..crypto import group
from ..crypto import keys
from ..crypto.election import parse_election
from ..crypto.elgamal import Ciphertext
from ..crypto.errors import CryptoError
from ..crypto.group import decode_scalar
from ..crypto.group import scalar_bytes
from ..crypto.tally import parse_partial
from ..crypto.tally import partial_decrypt
from ..crypto.tally import tally_to_json
from ..crypto.tally import verify_partial
from ..db import get_session
from ..models import Conference
from ..models import RoundState
from ..models import Trustee
from ..services import ceremony
from ..services import exact
from ..services import rounds
from ..services import tallying
from ..services.errors import DomainError
from ..services.errors import Invalid
from . import voting_cli

SHARE_FORMAT = "voting/v1/offline-share"
TALLY_FORMAT = "voting/v1/tally"
OFFLINE_INFO = b"voting/v1/offline-share"
MIN_PASSPHRASE_LENGTH = 12


class WrongPassphrase(Exception):
    """The passphrase does not open this share file."""


# -- passphrase, seed and share files ------------------------------------

def derive_seed(passphrase: str, salt: bytes, kdf: dict = ceremony.KDF) -> bytes:
    """scrypt over the UTF-8 of the passphrase's NFC form (as the browser does)."""
    data = unicodedata.normalize("NFC", passphrase).encode()
    return hashlib.scrypt(data, salt=salt, n=kdf["N"], r=kdf["r"], p=kdf["p"],
                          dklen=kdf["length"], maxmem=256 * kdf["N"] * kdf["r"] * kdf["p"])


def _public_bytes(private: X25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _context(index: int, ephemeral: bytes, enrolment_key: bytes, public_share: bytes) -> bytes:
    return b"|".join([OFFLINE_INFO, str(index).encode(), ephemeral, enrolment_key,
                      public_share])


def _aead_key(shared: bytes, context: bytes) -> ChaCha20Poly1305:
    return ChaCha20Poly1305(HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                                 info=context).derive(shared))


def seal_share(index: int, name: str, share: int, public_share: bytes, passphrase: str) -> dict:
    """Trustee ``index``'s share file, encrypted under their passphrase."""
    salt = secrets.token_bytes(32)
    enrolment_key = _public_bytes(X25519PrivateKey.from_private_bytes(
        derive_seed(passphrase, salt)))
    ephemeral = X25519PrivateKey.generate()
    ephemeral_pub = _public_bytes(ephemeral)
    context = _context(index, ephemeral_pub, enrolment_key, public_share)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(enrolment_key))
    nonce = secrets.token_bytes(12)
    ciphertext = _aead_key(shared, context).encrypt(nonce, scalar_bytes(share), context)
    return {"format": SHARE_FORMAT, "index": index, "name": name,
            "public_share": public_share.hex(), "enrolment_key": enrolment_key.hex(),
            "kdf": {**ceremony.KDF, "salt": salt.hex()},
            "envelope": {"ephemeral": ephemeral_pub.hex(), "nonce": nonce.hex(),
                         "ciphertext": ciphertext.hex()}}


def _share_kdf(kdf) -> dict:
    """A share file's scrypt parameters: integers (never booleans), 32 bytes out."""
    if not isinstance(kdf, dict) or kdf.get("algorithm") != "scrypt" \
            or not all(exact.is_int(kdf.get(name), 1) for name in ("N", "r", "p")) \
            or not exact.is_int(kdf.get("length"), 32, 32):
        raise ValueError("unexpected key-derivation parameters")
    return kdf


def open_share(share_file: dict, passphrase: str) -> int:
    """The share in a share file; checked against its public share.

    :raises WrongPassphrase: the passphrase (or the file) is wrong.
    """
    try:
        kdf, envelope = _share_kdf(share_file["kdf"]), share_file["envelope"]
        private = X25519PrivateKey.from_private_bytes(
            derive_seed(passphrase, bytes.fromhex(kdf["salt"]), kdf))
        enrolment_key = bytes.fromhex(share_file["enrolment_key"])
        public_share = bytes.fromhex(share_file["public_share"])
        ephemeral = bytes.fromhex(envelope["ephemeral"])
        nonce, ciphertext = bytes.fromhex(envelope["nonce"]), bytes.fromhex(envelope["ciphertext"])
    except (KeyError, TypeError, ValueError) as exc:
        raise click.ClickException(f"not a share file: {exc}") from exc
    if _public_bytes(private) != enrolment_key:
        raise WrongPassphrase("wrong passphrase for this share file")
    context = _context(share_file["index"], ephemeral, enrolment_key, public_share)
    shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral))
    try:
        share = decode_scalar(_aead_key(shared, context).decrypt(nonce, ciphertext, context))
    except (InvalidTag, CryptoError) as exc:
        raise WrongPassphrase("the share file does not open (altered?)") from exc
    if group.mul_base(share) != public_share:
        raise WrongPassphrase("the share does not match its public share")
    return share


# -- importing the public material ---------------------------------------

def install_offline_trustees(session, conference: Conference, public: dict) -> None:
    """Create the conference's trustees from ``public.json`` (no enrolment:
    an invitation hash nobody holds a token for) and install K, K_i and
    the dealers' commitments.

    :raises Invalid: a key already exists, or the material does not verify.
    """
    if conference.has_key:
        raise Invalid("the key has already been made")
    try:
        names, threshold, dealers = public["trustees"], public["threshold"], public["dealers"]
    except (KeyError, TypeError) as exc:
        raise Invalid("public.json needs threshold, trustees and dealers") from exc
    if (not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names)
            or len({n.strip() for n in names}) != len(names)):
        raise Invalid("trustee names must be distinct, non-empty strings")
    if not exact.is_int(threshold, 1, len(names)) or len(names) > keys.MAX_TRUSTEES:
        raise Invalid("need 1 ≤ t ≤ n ≤ 32 trustees")
    conference.trustees.clear()
    session.flush()
    for index, name in enumerate(names, start=1):
        conference.trustees.append(Trustee(
            index=index, name=name.strip()[:200],
            invite_hash=ceremony.hash_token(secrets.token_urlsafe(32))))
    conference.trustee_count, conference.threshold = len(names), threshold
    try:
        ceremony.install_public_material(conference, dealers)
    except CryptoError as exc:
        session.rollback()
        raise Invalid(f"the key material does not verify: {exc}") from exc
    session.commit()


# -- files -----------------------------------------------------------------

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
    if len(unicodedata.normalize("NFC", value)) < MIN_PASSPHRASE_LENGTH:
        raise click.UsageError(f"use at least {MIN_PASSPHRASE_LENGTH} characters")
    return value


# -- commands ----------------------------------------------------------------

@voting_cli.command("deal-offline")
@click.option("--threshold", "-t", type=click.IntRange(1, keys.MAX_TRUSTEES), required=True)
@click.option("--trustee", "names", multiple=True, required=True, help="Repeat for each trustee.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
def deal_offline(threshold: int, names: tuple[str, ...], out: Path) -> None:
    """Deal a t-of-n key on this (air-gapped) machine into OUT."""
    names = tuple(n.strip() for n in names)
    if not all(names) or len(set(names)) != len(names) or threshold > len(names):
        raise click.ClickException("need distinct trustee names and 1 ≤ t ≤ n ≤ 32")
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise click.ClickException(f"{out} is not empty")
    passphrases = {}
    for index, name in enumerate(names, start=1):
        click.echo(f"Trustee {index}, {name}: type your passphrase (it is not shown).")
        passphrases[index] = click.prompt("Passphrase", hide_input=True,
                                          confirmation_prompt=True, value_proc=_check_passphrase)
    dealing = keys.deal(threshold, len(names))
    dealers = [dealing.to_json()]
    parsed = keys.parse_dealings(dealers, threshold)
    for index, name in enumerate(names, start=1):
        sealed = seal_share(index, name, dealing.shares[index], keys.public_share(parsed, index),
                            passphrases.pop(index))
        _write_secret(out / f"share-{index}.json", sealed)
    del dealing
    _write_secret(out / "public.json", {"threshold": threshold, "trustees": list(names),
                                        "dealers": dealers})
    click.echo(f"joint public key: {keys.joint_public_key(parsed).hex()}")
    click.echo(f"wrote {out / 'public.json'} and {len(names)} share files; give each trustee "
               "their own file and delete it here")


@voting_cli.command("import-keys")
@click.option("--conference-id", type=int, required=True)
@click.argument("public_json", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_keys(conference_id: int, public_json: Path) -> None:
    """Install an offline dealing's public.json into a conference."""
    session = get_session()
    conference = session.get(Conference, conference_id)
    if conference is None:
        raise click.ClickException(f"no conference {conference_id}")
    try:
        install_offline_trustees(session, conference, _read_json(public_json))
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"conference {conference_id}: {conference.threshold} of "
               f"{conference.trustee_count} trustees, key {conference.public_key}")


@voting_cli.command("export-tally")
@click.option("--round", "round_id", required=True, help="The round's public id (r-…).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def export_tally(round_id: str, out: Path) -> None:
    """Write a closed round's election object and encrypted tally."""
    session = get_session()
    try:
        rnd = rounds.get_round_by_public_id(session, round_id)
        if rnd.state != RoundState.CLOSED or not rnd.cast:
            raise Invalid("the round is not waiting for decryption")
        ciphertexts = tally_to_json(tallying.encrypted_tally(session, rnd))
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    obj = {"format": TALLY_FORMAT, "round": rnd.public_id, "fingerprint": rnd.fingerprint,
           "election": json.loads(rnd.election_json), "ciphertexts": ciphertexts}
    out.write_text(json.dumps(obj, ensure_ascii=False) + "\n", encoding="utf-8")
    click.echo(f"wrote {out}")


def _load_tally(tally_file: dict):
    """(election, tally) from a tally.json, every point validated."""
    election = parse_election(tally_file["election"])
    if election.fingerprint.hex() != tally_file["fingerprint"]:
        raise click.ClickException("the tally file's fingerprint does not match its election")
    contests = election.manifest.contests
    rows = tally_file["ciphertexts"]
    if len(rows) != len(contests) or any(
            len(row) != c.tally_entries() for row, c in zip(rows, contests, strict=True)):
        raise click.ClickException("the tally does not fit the election's contests")
    return election, [[Ciphertext.from_json(ct) for ct in row] for row in rows]


@voting_cli.command("decrypt-offline")
@click.option("--share", "share_path", type=click.Path(exists=True, dir_okay=False,
                                                         path_type=Path), required=True)
@click.option("--tally", "tally_path", type=click.Path(exists=True, dir_okay=False,
                                                         path_type=Path), required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def decrypt_offline(share_path: Path, tally_path: Path, out: Path) -> None:
    """Compute a trustee's partial decryption from their share file."""
    share_file = _read_json(share_path)
    try:
        election, tally = _load_tally(_read_json(tally_path))
    except (CryptoError, KeyError, TypeError) as exc:
        raise click.ClickException(f"not a usable tally file: {exc}") from exc
    index = share_file.get("index")  # an integer, never a boolean (True == 1)
    trustee = election.trustee(index) if exact.is_int(index, 1, keys.MAX_TRUSTEES) else None
    if trustee is None or trustee.public_share.hex() != share_file.get("public_share"):
        raise click.ClickException("this share file does not belong to this election's key")
    passphrase = click.prompt(f"Passphrase of trustee {index}", hide_input=True)
    try:
        share = open_share(share_file, passphrase)
    except (WrongPassphrase, CryptoError) as exc:
        raise click.ClickException(str(exc)) from exc
    partial = partial_decrypt(election, tally, index, share)
    del share
    verify_partial(election, tally, index, parse_partial(election, partial)[1])
    out.write_text(json.dumps(partial) + "\n", encoding="utf-8")
    click.echo(f"wrote the partial decryption of trustee {index} to {out}")


@voting_cli.command("submit-partial")
@click.option("--round", "round_id", required=True, help="The round's public id (r-…).")
@click.argument("partial_json", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def submit_partial(round_id: str, partial_json: Path) -> None:
    """Verify a partial decryption and put it on the round's board."""
    partial = _read_json(partial_json)
    session = get_session()
    try:
        rnd = rounds.get_round_by_public_id(session, round_id)
        tallying.submit_partial(session, rnd, partial.get("trustee"), partial)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"partial decryption of trustee {partial['trustee']} is on the board")
