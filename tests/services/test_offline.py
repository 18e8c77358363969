"""The offline key ceremony's use cases (voting/services/offline.py): the
dealing, the share file of PROTOCOL §4.4 and its exact envelope context,
the installation of the public half, and offline decryption of a tally
file. The CLI over them is tested in tests/test_cli_keys.py."""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
import unicodedata

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select

from voting.crypto import envelope
from voting.crypto import group
from voting.crypto import keys
from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.ballot import public_credential
from voting.crypto.codec import point_hex
from voting.crypto.election import DEALER
from voting.crypto.election import election_object
from voting.crypto.election import parse_election
from voting.crypto.group import L
from voting.crypto.tally import parse_partial
from voting.crypto.tally import parse_tally
from voting.crypto.tally import tally_ballots
from voting.crypto.tally import tally_to_json
from voting.crypto.tally import verify_partial
from voting.models import Conference
from voting.models import Trustee
from voting.services import offline
from voting.services.errors import Invalid
from voting.services.offline import WrongPassphrase

from ..factories import make_conference

NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường"]
PASSPHRASES = {1: "một hai ba bốn năm sáu", 2: "second trustee passphrase",
               3: "ba con mèo trèo cây"}
ROUND_ID = "r-offline-test"


@pytest.fixture(scope="module")
def dealt():
    """(public.json, {index: share file}) of one 2-of-3 offline dealing."""
    return offline.deal_offline(2, NAMES, PASSPHRASES)


@pytest.fixture(scope="module")
def other_dealing():
    return offline.deal_offline(2, NAMES, PASSPHRASES)


def a_share_file(index: int = 2, passphrase: str = PASSPHRASES[2]) -> tuple[dict, int]:
    share = secrets.randbelow(L - 1) + 1
    return offline.seal_share(index, "Bình", share, group.mul_base(share), passphrase), share


# -- the dealing -------------------------------------------------------------

def test_deal_offline_gives_public_material_and_a_file_per_trustee(dealt):
    public, files = dealt
    assert set(public) == {"threshold", "trustees", "dealers"}
    assert (public["threshold"], public["trustees"], len(public["dealers"])) == (2, NAMES, 1)
    parsed = keys.parse_dealings(public["dealers"], 2)
    keys.verify_dealings(parsed)
    assert sorted(files) == [1, 2, 3]
    shares = {}
    for index, file in files.items():
        assert (file["index"], file["name"]) == (index, NAMES[index - 1])
        assert file["public_share"] == point_hex(keys.public_share(parsed, index))
        shares[index] = offline.open_share(file, PASSPHRASES[index])
    # any two shares interpolate to the secret key of K (the polynomial is consistent)
    for pair in ([1, 2], [1, 3], [2, 3]):
        lagrange = keys.lagrange_at_zero(pair)
        secret = sum(lagrange[i] * shares[i] for i in pair) % L
        assert point_hex(group.mul_base(secret)) == offline.public_key_hex(public)
    written = json.dumps([public, files])
    assert not any(group.scalar_bytes(s).hex() in written for s in shares.values())


@pytest.mark.parametrize(("threshold", "names", "passphrases"), [
    (3, NAMES[:2], {1: PASSPHRASES[1], 2: PASSPHRASES[2]}),
    (2, [NAMES[0], NAMES[0] + " "], {1: PASSPHRASES[1], 2: PASSPHRASES[2]}),
    (2, [NAMES[0], "  "], {1: PASSPHRASES[1], 2: PASSPHRASES[2]}),
    (True, NAMES[:2], {1: PASSPHRASES[1], 2: PASSPHRASES[2]}),
    (2, NAMES[:2], {1: PASSPHRASES[1]}),
    (2, NAMES[:2], {1: PASSPHRASES[1], 2: "too short"}),
])
def test_deal_offline_refuses_bad_trustees_threshold_or_passphrases(threshold, names,
                                                                     passphrases):
    with pytest.raises(Invalid):
        offline.deal_offline(threshold, names, passphrases)


# -- share files -------------------------------------------------------------

def test_a_share_file_opens_with_its_passphrase_and_holds_no_secret():
    file, share = a_share_file()
    assert set(file) == {"format", "index", "name", "public_share", "enrolment_key", "kdf",
                         "envelope"}
    assert file["format"] == "voting/v1/offline-share"
    assert file["kdf"] == {"algorithm": "scrypt", "N": 2**15, "r": 8, "p": 1, "length": 32,
                           "salt": file["kdf"]["salt"]}
    assert set(file["envelope"]) == {"ephemeral", "nonce", "ciphertext"}
    assert offline.open_share(file, PASSPHRASES[2]) == share
    text = json.dumps(file)
    assert group.scalar_bytes(share).hex() not in text and PASSPHRASES[2] not in text
    # NFC: the passphrase typed with combining marks opens it too
    nfd = unicodedata.normalize("NFD", PASSPHRASES[1])
    assert nfd != PASSPHRASES[1]
    file, share = a_share_file(1, PASSPHRASES[1])
    assert offline.open_share(file, nfd) == share


def test_a_share_file_refuses_a_wrong_passphrase():
    file, _ = a_share_file()
    with pytest.raises(WrongPassphrase, match="wrong passphrase"):
        offline.open_share(file, PASSPHRASES[1])


def _flip_first_byte(value: str) -> str:
    return f"{int(value[:2], 16) ^ 1:02x}{value[2:]}"


@pytest.mark.parametrize("alter", [
    lambda f: f.update(index=3),
    lambda f: f.update(public_share=point_hex(group.mul_base(5))),
    lambda f: f["envelope"].update(ciphertext=_flip_first_byte(f["envelope"]["ciphertext"])),
    lambda f: f["envelope"].update(nonce=_flip_first_byte(f["envelope"]["nonce"])),
    lambda f: f["envelope"].update(ephemeral=point_hex(envelope.public_key(bytes(31) + b"\1"))),
    lambda f: f.update(enrolment_key=_flip_first_byte(f["enrolment_key"])),
    lambda f: f["kdf"].update(salt=_flip_first_byte(f["kdf"]["salt"])),
], ids=["index", "public_share", "ciphertext", "nonce", "ephemeral", "enrolment_key", "salt"])
def test_an_altered_share_file_does_not_open(alter):
    file, _ = a_share_file()
    alter(file)
    with pytest.raises(WrongPassphrase):
        offline.open_share(file, PASSPHRASES[2])


@pytest.mark.parametrize("alter", [
    lambda f: f.update(format="voting/v1/share"),
    lambda f: f.update(index=True),
    lambda f: f.update(index=0),
    lambda f: f.update(public_share="00" * 31),
    lambda f: f.update(public_share=f["public_share"].upper()),
    lambda f: f["kdf"].update(N=2**16),
    lambda f: f["kdf"].update(r=True),
    lambda f: f["kdf"].update(length=32.0),
    lambda f: f["kdf"].update(algorithm="argon2id"),
    lambda f: f["kdf"].update(salt="ab"),
    lambda f: f["envelope"].update(ciphertext=f["envelope"]["ciphertext"][:-2]),
    lambda f: f.pop("envelope"),
])
def test_a_malformed_share_file_is_refused_before_any_scrypt(alter):
    file, _ = a_share_file()
    alter(file)
    with pytest.raises(Invalid):
        offline.open_share(file, PASSPHRASES[2])


def test_a_share_that_does_not_match_its_public_share_is_refused():
    """A well-formed file whose envelope holds a share other than log K_i."""
    file, share = a_share_file()
    salt = bytes.fromhex(file["kdf"]["salt"])
    public_share = bytes.fromhex(file["public_share"])
    enrolment_key = envelope.public_key(envelope.derive_seed(PASSPHRASES[2], salt))
    sealed = envelope.seal(enrolment_key, group.scalar_bytes(share + 1), envelope.OFFLINE_SHARE,
                           (b"2", public_share))
    with pytest.raises(WrongPassphrase, match="does not match"):
        offline.open_share({**file, "envelope": sealed.to_json()}, PASSPHRASES[2])


def test_the_offline_share_context_is_the_spec_byte_layout():
    """PROTOCOL §4.4: seed = scrypt(utf8(NFC(passphrase)), salt, 2^15, 8, 1, 32);
    context = "voting/v1/offline-share" | i | K_i | E | P, with i ASCII
    decimal, K_i, E and P 32 raw bytes and | the byte 0x7c."""
    file, share = a_share_file(index=17)
    salt = bytes.fromhex(file["kdf"]["salt"])
    seed = hashlib.scrypt(unicodedata.normalize("NFC", PASSPHRASES[2]).encode("utf-8"),
                          salt=salt, n=2**15, r=8, p=1, dklen=32, maxmem=2**26)
    p = bytes.fromhex(file["enrolment_key"])
    k_i = bytes.fromhex(file["public_share"])
    e = bytes.fromhex(file["envelope"]["ephemeral"])
    assert len(p) == len(k_i) == len(e) == 32
    context = b"voting/v1/offline-share" + b"\x7c" + b"17" + b"\x7c" + k_i + b"\x7c" + e \
        + b"\x7c" + p
    # by hand: HKDF-SHA256(X25519(seed, E), no salt, info = context), ChaCha20-Poly1305
    private = X25519PrivateKey.from_private_bytes(seed)
    shared = private.exchange(X25519PublicKey.from_public_bytes(e))
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=context).derive(shared)
    plain = ChaCha20Poly1305(key).decrypt(bytes.fromhex(file["envelope"]["nonce"]),
                                          bytes.fromhex(file["envelope"]["ciphertext"]), context)
    assert plain == share.to_bytes(32, "little")
    # and the shared construction computes that same context from label and items
    assert envelope.context(envelope.OFFLINE_SHARE, (b"17", k_i), e, p) == context
    sealed = envelope.Envelope.from_json(file["envelope"], 32)
    assert envelope.open_sealed(seed, sealed, "voting/v1/offline-share", (b"17", k_i)) == plain
    # version 1's earlier layout (K_i after P) does not open it
    with pytest.raises(envelope.CannotOpen):
        envelope.open_sealed(seed, sealed, "voting/v1/offline-share", (b"17", e, p))


# -- installing the public half ----------------------------------------------

def _trustees(session, conference) -> list[Trustee]:
    return list(session.scalars(select(Trustee).where(Trustee.conference_id == conference.id)))


def test_install_sets_the_key_the_shares_and_the_dealer_ceremony(session, dealt):
    public, files = dealt
    conference = make_conference(session)
    offline.install_offline_trustees(session, conference, copy.deepcopy(public))
    session.expire_all()
    conference = session.get(Conference, conference.id)
    assert conference.key_ceremony == DEALER == "dealer"
    assert conference.public_key == offline.public_key_hex(public)
    assert (conference.trustee_count, conference.threshold) == (3, 2)
    assert json.loads(conference.dealers_json) == public["dealers"]
    trustees = _trustees(session, conference)
    assert [(t.index, t.name) for t in trustees] == list(enumerate(NAMES, start=1))
    assert [t.public_share for t in trustees] == [files[i]["public_share"] for i in (1, 2, 3)]
    assert all(t.enrolment_key is None for t in trustees)
    assert len({t.invite_hash for t in trustees}) == 3


def _bad_material(public: dict, case: str) -> dict:
    public = copy.deepcopy(public)
    proofs = public["dealers"][0]["proofs"]
    if case == "swapped proofs":
        proofs[0], proofs[1] = proofs[1], proofs[0]
    elif case == "altered commitment":
        public["dealers"][0]["commitments"][1] = point_hex(group.mul_base(7))
    elif case == "two dealers":
        public["dealers"].append(keys.deal(2, 3, dealer=1).to_json())
    elif case == "no dealer":
        public["dealers"] = []
    elif case == "short dealer":
        public["dealers"][0]["commitments"].pop()
    elif case == "duplicate names":
        public["trustees"] = [NAMES[0], NAMES[1], NAMES[0]]
    elif case == "empty name":
        public["trustees"] = [NAMES[0], " ", NAMES[2]]
    elif case == "name not a string":
        public["trustees"] = [NAMES[0], 2, NAMES[2]]
    elif case == "long name":
        public["trustees"] = [NAMES[0], "x" * 201, NAMES[2]]
    elif case == "t > n":
        public["trustees"] = NAMES[:1]
    elif case == "boolean threshold":
        public["threshold"] = True
    elif case == "missing dealers":
        del public["dealers"]
    return public


@pytest.mark.parametrize("case", [
    "swapped proofs", "altered commitment", "two dealers", "no dealer", "short dealer",
    "duplicate names", "empty name", "name not a string", "long name", "t > n",
    "boolean threshold", "missing dealers"])
def test_install_refuses_bad_material_and_leaves_the_conference_unchanged(session, dealt,
                                                                           case):
    conference = make_conference(session)
    with pytest.raises(Invalid):
        offline.install_offline_trustees(session, conference, _bad_material(dealt[0], case))
    assert not (session.new or session.dirty or session.deleted)
    session.commit()  # a later commit on the same session changes nothing either
    session.expire_all()
    conference = session.get(Conference, conference.id)
    assert not conference.has_key and conference.dealers_json is None
    assert conference.key_ceremony is None
    assert (conference.trustee_count, conference.threshold) == (3, 2)
    assert _trustees(session, conference) == []


def test_install_refuses_a_conference_that_has_a_key(session, dealt, other_dealing):
    conference = make_conference(session)
    offline.install_offline_trustees(session, conference, copy.deepcopy(dealt[0]))
    with pytest.raises(Invalid, match="already"):
        offline.install_offline_trustees(session, conference, copy.deepcopy(other_dealing[0]))
    assert not (session.new or session.dirty or session.deleted)
    session.commit()
    session.expire_all()
    conference = session.get(Conference, conference.id)
    assert conference.public_key == offline.public_key_hex(dealt[0])
    assert [t.public_share for t in _trustees(session, conference)] == [
        dealt[1][i]["public_share"] for i in (1, 2, 3)]


# -- offline decryption ------------------------------------------------------

def _tally_file(public: dict) -> dict:
    """What ``export_tally`` writes, for an election of ``public``'s key and
    two ballots, built without a database."""
    manifest = {
        "version": 1, "conference": "Hội nghị", "round": ROUND_ID, "title": "Vòng 1",
        "contests": [{"id": "unit-1", "title": "Đơn vị 1",
                      "options": [{"id": "agree", "title": "Đồng ý"},
                                  {"id": "disagree", "title": "Không đồng ý"}],
                      "min": 0, "max": 1, "encoding": "options"}],
        "rules": [{"contests": ["unit-1"], "option": "agree", "comparator": ">",
                   "fraction": [1, 2], "base": "present", "quota": None, "ties": "runoff"}],
    }
    secrets_ = [derive_credential(secrets.token_bytes(16), ROUND_ID) for _ in range(2)]
    credentials = [point_hex(public_credential(s)) for s in secrets_]
    obj = election_object(manifest, DEALER, public["threshold"], public["dealers"],
                          public["trustees"], credentials, point_hex(group.mul_base(0x5E5E)),
                          "c1" * 32)
    election = parse_election(obj)
    ballots = [encrypt_ballot(election, [[0]], s) for s in secrets_]
    return {"format": "voting/v1/tally", "round": ROUND_ID,
            "fingerprint": election.fingerprint.hex(), "election": obj,
            "ciphertexts": tally_to_json(tally_ballots(election, ballots))}


@pytest.fixture(scope="module")
def tally_file(dealt):
    return _tally_file(dealt[0])


def test_decrypt_offline_gives_a_partial_that_verifies(dealt, tally_file):
    _, files = dealt
    assert offline.share_index_for(files[3], tally_file) == 3
    partial = offline.decrypt_offline(files[3], tally_file, PASSPHRASES[3])
    election = parse_election(tally_file["election"])
    index, rows = parse_partial(election, partial)
    assert index == 3
    verify_partial(election, parse_tally(election, tally_file["ciphertexts"]), 3, rows)


def test_decrypt_offline_refuses_a_share_of_another_dealing(tally_file, other_dealing):
    _, files = other_dealing
    for file in files.values():
        with pytest.raises(Invalid, match="does not belong"):
            offline.share_index_for(file, tally_file)
        with pytest.raises(Invalid, match="does not belong"):
            offline.decrypt_offline(file, tally_file, PASSPHRASES[file["index"]])


def test_decrypt_offline_refuses_a_wrong_passphrase_or_a_relabelled_file(dealt, tally_file):
    _, files = dealt
    with pytest.raises(WrongPassphrase):
        offline.decrypt_offline(files[2], tally_file, PASSPHRASES[1])
    relabelled = {**files[2], "index": 1}  # another trustee's slot: K_i differs
    with pytest.raises(Invalid, match="does not belong"):
        offline.decrypt_offline(relabelled, tally_file, PASSPHRASES[2])


@pytest.mark.parametrize("alter", [
    lambda t: t.update(format="something else"),
    lambda t: t.update(fingerprint="00" * 32),
    lambda t: t["ciphertexts"].append([]),
    lambda t: t["ciphertexts"][0].pop(),
    lambda t: t["ciphertexts"][0][0].update(alpha="00" * 31),
    lambda t: t.pop("election"),
])
def test_decrypt_offline_refuses_an_unusable_tally_file(dealt, tally_file, alter):
    bad = copy.deepcopy(tally_file)
    alter(bad)
    with pytest.raises(Invalid, match="tally file"):
        offline.share_index_for(dealt[1][1], bad)


def test_install_refuses_once_the_trustees_key_generation_has_started(session, dealt):
    from voting.crypto import dkg
    from voting.services import ceremony

    conference = make_conference(session)
    tokens = ceremony.set_trustees(session, conference, ["A", "B"], 2)
    private = {}
    for index, token in tokens.items():
        private[index] = secrets.token_bytes(32)
        ceremony.enrol(session, ceremony.trustee_by_token(session, token),
                       envelope.public_key(private[index]).hex(), secrets.token_hex(32))
    frame = dkg.Ceremony(conference.id, 1, 2, tuple(envelope.public_key(private[i])
                                                    for i in (1, 2)))
    ceremony.commit(session, conference.trustees[0],
                    {"attempt": 1, **dkg.commit(frame, 1, keys.draw_coefficients(2))})
    with pytest.raises(Invalid, match="started"):
        offline.install_offline_trustees(session, conference, copy.deepcopy(dealt[0]))
    assert [t.name for t in conference.trustees] == ["A", "B"] and not conference.has_key
