"""The offline key ceremony and offline decryption, for air-gapped set-ups
(PROTOCOL §4.1 ``dealer``, §4.4, §11.1).

On a machine that never touches the network :func:`deal_offline` deals a
t-of-n key and seals each trustee's share into a file under a passphrase
typed for that trustee; the polynomial exists only inside that call. The
server gets only the public half (:func:`install_offline_trustees`). After a
round closes, :func:`export_tally` gives what a trustee needs,
:func:`decrypt_offline` computes that trustee's partial decryption from
their share file, and ``tallying.submit_partial`` puts it on the board.

A share file (§4.4) is ``{"format": "voting/v1/offline-share", "index": i,
"name", "public_share": K_i, "enrolment_key": P_i, "kdf": {scrypt
parameters, "salt"}, "envelope"}``, the envelope sealing ``s_i`` to ``P_i``
with the label ``voting/v1/offline-share`` and the items ``(i, K_i)``.
"""

from __future__ import annotations

import json
import secrets

from sqlalchemy.orm import Session

from ..crypto import envelope
from ..crypto import group
from ..crypto import keys
from ..crypto.codec import hex_bytes32
from ..crypto.codec import parse_point
from ..crypto.codec import point_hex
from ..crypto.election import DEALER
from ..crypto.election import Election
from ..crypto.election import parse_election
from ..crypto.errors import CryptoError
from ..crypto.tally import parse_partial
from ..crypto.tally import parse_tally
from ..crypto.tally import partial_decrypt
from ..crypto.tally import Tally
from ..crypto.tally import tally_to_json
from ..crypto.tally import verify_partial
from ..models import Conference
from ..models import RoundState
from ..models import Trustee
from . import audit_trail
from . import ceremony
from . import exact
from . import rounds
from . import tallying
from .errors import DomainError
from .errors import Invalid
from .passphrases import check_passphrase

SHARE_FORMAT = envelope.OFFLINE_SHARE
TALLY_FORMAT = "voting/v1/tally"
MAX_TRUSTEES = keys.MAX_TRUSTEES
MAX_NAME_LENGTH = 200


class WrongPassphrase(DomainError):
    """The passphrase does not open this share file."""

    code, status = "wrong_passphrase", 403


# -- trustees and passphrases ------------------------------------------------

def check_trustees(threshold, names) -> list[str]:
    """The trustees' names, stripped, if they and ``threshold`` can make a key.

    :raises Invalid: names not distinct non-empty strings of at most 200
        characters, or not 1 ≤ t ≤ n ≤ 32 (t an exact integer).
    """
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
        raise Invalid("trustee names must be distinct, non-empty strings")
    names = [n.strip() for n in names]
    if (not all(names) or len(set(names)) != len(names)
            or any(len(n) > MAX_NAME_LENGTH for n in names)):
        raise Invalid("trustee names must be distinct, non-empty strings "
                      f"of at most {MAX_NAME_LENGTH} characters")
    if not exact.is_int(threshold, 1, len(names)) or len(names) > MAX_TRUSTEES:
        raise Invalid("need 1 ≤ t ≤ n ≤ 32 trustees")
    return names


# -- dealing -----------------------------------------------------------------

def deal_offline(threshold: int, names, passphrases: dict[int, str]) -> tuple[dict, dict]:
    """Deal a t-of-n key (one dealer, §4.1) and seal each share.

    ``passphrases`` maps each trustee's index (1…n, in the order of
    ``names``) to their passphrase. Returns ``public.json`` (threshold,
    trustees, dealers) and ``{index: share file}``.

    :raises Invalid: bad trustees or threshold, or a missing or short passphrase.
    """
    names = check_trustees(threshold, names)
    if sorted(passphrases) != list(range(1, len(names) + 1)):
        raise Invalid("one passphrase per trustee")
    for passphrase in passphrases.values():
        check_passphrase(passphrase)
    dealing = keys.deal(threshold, len(names))
    dealers = [dealing.to_json()]
    parsed = keys.parse_dealings(dealers, threshold)
    files = {index: seal_share(index, name, dealing.shares[index],
                               keys.public_share(parsed, index), passphrases[index])
             for index, name in enumerate(names, start=1)}
    del dealing
    return {"threshold": threshold, "trustees": names, "dealers": dealers}, files


def public_key_hex(public: dict) -> str:
    """K of a dealing's ``public.json`` (as :func:`deal_offline` wrote it)."""
    return point_hex(keys.joint_public_key(keys.parse_dealings(public["dealers"],
                                                               public["threshold"])))


# -- share files (§4.4) ------------------------------------------------------

def _items(index: int, public_share: bytes) -> tuple[bytes, ...]:
    """The offline share's context items: i (ASCII decimal), K_i (32 bytes)."""
    return (envelope.decimal(index), public_share)


def seal_share(index: int, name: str, share: int, public_share: bytes,
               passphrase: str) -> dict:
    """Trustee ``index``'s share file: ``share`` sealed to the enrolment key
    derived from ``passphrase`` and a fresh salt."""
    salt = secrets.token_bytes(32)
    enrolment_key = envelope.public_key(envelope.derive_seed(passphrase, salt))
    sealed = envelope.seal(enrolment_key, group.scalar_bytes(share), envelope.OFFLINE_SHARE,
                           _items(index, public_share))
    return {"format": SHARE_FORMAT, "index": index, "name": name,
            "public_share": point_hex(public_share), "enrolment_key": enrolment_key.hex(),
            "kdf": {**envelope.KDF, "salt": salt.hex()}, "envelope": sealed.to_json()}


def _share_kdf(kdf) -> tuple[dict, bytes]:
    """A share file's scrypt parameters, exactly §4.4's (integers, never
    booleans or floats), and its 32-byte salt."""
    if (not isinstance(kdf, dict) or kdf.get("algorithm") != "scrypt"
            or not all(exact.is_int(kdf.get(name)) and kdf[name] == envelope.KDF[name]
                       for name in ("N", "r", "p", "length"))):
        raise Invalid("unexpected key-derivation parameters")
    try:
        return kdf, hex_bytes32(kdf.get("salt"))
    except CryptoError as exc:
        raise Invalid("not a share file: the salt is not 32 bytes of hex") from exc


def open_share(share_file, passphrase: str) -> int:
    """The share ``s_i`` in a share file, checked by ``s_i·B = K_i``.

    :raises Invalid: not a share file.
    :raises WrongPassphrase: the passphrase does not open it, or the file
        was altered (index, public share, envelope).
    """
    if not isinstance(share_file, dict) or share_file.get("format") != SHARE_FORMAT:
        raise Invalid("not a share file")
    kdf, salt = _share_kdf(share_file.get("kdf"))
    index = share_file.get("index")
    if not exact.is_int(index, 1, MAX_TRUSTEES):
        raise Invalid("not a share file: the index is an integer from 1 to 32")
    try:
        public_share = parse_point(share_file.get("public_share"))
        enrolment_key = hex_bytes32(share_file.get("enrolment_key"))
        sealed = envelope.Envelope.from_json(share_file.get("envelope"), 32)
    except CryptoError as exc:
        raise Invalid(f"not a share file: {exc}") from exc
    seed = envelope.derive_seed(passphrase, salt, kdf)
    if envelope.public_key(seed) != enrolment_key:
        raise WrongPassphrase("wrong passphrase for this share file")
    try:
        share = group.decode_scalar(envelope.open_sealed(
            seed, sealed, envelope.OFFLINE_SHARE, _items(index, public_share)))
    except (envelope.CannotOpen, CryptoError) as exc:
        raise WrongPassphrase("the share file does not open (altered?)") from exc
    if group.mul_base(share) != public_share:
        raise WrongPassphrase("the share does not match its public share")
    return share


# -- installing the public half on the server --------------------------------

def install_offline_trustees(session: Session, conference: Conference, public) -> None:
    """Create the conference's trustees from ``public.json`` and install
    K, each K_i and the dealer's commitments; the key's ceremony is
    ``dealer``. The trustees get no invitation: their invitation hash is
    random, of no token anyone holds. Nothing changes unless all is well.

    :raises Invalid: a key already exists, bad names or threshold, or key
        material that is not exactly one dealer whose proofs verify.
    """
    if conference.has_key:
        raise Invalid("the key has already been made")
    if ceremony.has_started(conference):
        raise Invalid("the trustees' key generation has started: restart or rename the "
                      "trustees first")
    if not isinstance(public, dict) or not {"threshold", "trustees", "dealers"} <= set(public):
        raise Invalid("public.json needs threshold, trustees and dealers")
    threshold, dealers = public["threshold"], public["dealers"]
    names = check_trustees(threshold, public["trustees"])
    try:
        parsed = keys.parse_dealings(dealers, threshold)
        if len(parsed) != 1:
            raise Invalid("an offline dealing has exactly one dealer")
        keys.verify_dealings(parsed)
    except CryptoError as exc:
        raise Invalid(f"the key material does not verify: {exc}") from exc
    conference.trustees.clear()
    session.flush()
    for index, name in enumerate(names, start=1):
        conference.trustees.append(Trustee(index=index, name=name,
                                           invite_hash=secrets.token_hex(32)))
    conference.trustee_count, conference.threshold = len(names), threshold
    ceremony.install_key(conference, dealers, parsed, DEALER)
    audit_trail.record(session, "ceremony.offline", conference_id=conference.id,
                       target=f"conference {conference.id}",
                       detail={"trustees": len(names), "threshold": threshold})
    session.commit()


# -- offline decryption ------------------------------------------------------

def export_tally(session: Session, round_public_id: str) -> dict:
    """A closed round's election object and encrypted tally (``tally.json``).

    :raises NotFound: no such round.
    :raises Invalid: the round is not closed with ballots to decrypt.
    """
    rnd = rounds.get_round_by_public_id(session, round_public_id)
    if rnd.state != RoundState.CLOSED or not rnd.cast:
        raise Invalid("the round is not waiting for decryption")
    return {"format": TALLY_FORMAT, "round": rnd.public_id, "fingerprint": rnd.fingerprint,
            "election": json.loads(rnd.election_json),
            "ciphertexts": tally_to_json(tallying.encrypted_tally(session, rnd))}


def _load(share_file, tally_file) -> tuple[Election, Tally, int]:
    """(election, tally, trustee index) of a tally file and a share file of
    its key; every point validated."""
    if not isinstance(tally_file, dict) or tally_file.get("format") != TALLY_FORMAT:
        raise Invalid(f"not a usable tally file: its format is not {TALLY_FORMAT}")
    try:
        election = parse_election(tally_file["election"])
        if election.fingerprint.hex() != tally_file["fingerprint"]:
            raise Invalid("the tally file's fingerprint does not match its election")
        tally = parse_tally(election, tally_file["ciphertexts"])
    except (CryptoError, KeyError, TypeError) as exc:
        raise Invalid(f"not a usable tally file: {exc}") from exc
    index = share_file.get("index") if isinstance(share_file, dict) else None
    trustee = election.trustee(index) if exact.is_int(index, 1, MAX_TRUSTEES) else None
    if trustee is None or point_hex(trustee.public_share) != share_file.get("public_share"):
        raise Invalid("this share file does not belong to this election's key")
    return election, tally, index


def share_index_for(share_file, tally_file) -> int:
    """The trustee index of a share file, once it is known to belong to the
    tally file's key (so a passphrase is asked only for a file that can help).

    :raises Invalid: an unusable tally file, or a share of another key.
    """
    return _load(share_file, tally_file)[2]


def decrypt_offline(share_file, tally_file, passphrase: str) -> dict:
    """The share file's trustee's partial decryption of the tally (§11.1),
    checked against their public share before it is returned.

    :raises Invalid: an unusable tally file, or a share of another key.
    :raises WrongPassphrase: the passphrase does not open the share file.
    """
    election, tally, index = _load(share_file, tally_file)
    share = open_share(share_file, passphrase)
    partial = partial_decrypt(election, tally, index, share)
    del share
    verify_partial(election, tally, index, parse_partial(election, partial)[1])
    return partial
