"""A received ballot of the wrong shape is refused as malformed, by the
check that is about it, before any proof is looked at (PROTOCOL.md §8.2,
§8.5). A ValueError or KeyError here would reach the cast API as a server
error instead of a refusal."""

from __future__ import annotations

import copy
import dataclasses
import re

import pytest

from voting.crypto.ballot import encrypt_ballot
from voting.crypto.ballot import parse_ballot
from voting.crypto.ballot import read_ciphertexts
from voting.crypto.ballot import verify_ballot
from voting.crypto.ballot import verify_range_proofs
from voting.crypto.ballot import verify_selection_proofs
from voting.crypto.drbg import TestRng
from voting.crypto.errors import CryptoError
from voting.crypto.errors import InvalidStructure
from voting.crypto.errors import WrongElection


@pytest.fixture(scope="module")
def cast(small):
    """Contests a, b (packed, 3 branches) and c (3 options, range 0..2)."""
    election, secrets, _ = small
    return encrypt_ballot(election, [[1], [], [0, 2]], secrets[3], TestRng(b"shapes"))


def altered(ballot: dict, change) -> dict:
    bad = copy.deepcopy(ballot)
    change(bad)
    return bad


def refused(election, ballot, message: str, error=InvalidStructure) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        parse_ballot(election, ballot)
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        verify_ballot(election, ballot)


def test_the_unaltered_ballot_parses(small, cast):
    election, _, _ = small
    ballot = parse_ballot(election, cast)
    assert [len(c.ciphertexts) for c in ballot.contests] == [1, 1, 3]
    assert [len(c.proofs) for c in ballot.contests] == [1, 1, 3]
    assert [c.range_proof is None for c in ballot.contests] == [True, True, False]
    assert len(ballot.contests[2].range_proof.c) == 3


CASES = {
    "no fields": (lambda b: b.clear(), "ballot: missing ['contests', 'credential', "
                      "'fingerprint', 'round', 'signature', 'version'], unexpected []"),
    "version": (lambda b: b.update(version=True), "ballot: unsupported version"),
    "a contest short": (lambda b: b["contests"].pop(), "ballot.contests: expected 3 items, got 2"),
    "a contest more": (lambda b: b["contests"].append(b["contests"][0]),
                       "ballot.contests: expected 3 items, got 4"),
    "contest fields": (lambda b: b["contests"][1].pop("proofs"),
                       "ballot contest 1: missing ['proofs'], unexpected []"),
    "a ciphertext short": (lambda b: b["contests"][2]["ciphertexts"].pop(),
                           "ballot contest 2.ciphertexts: expected 3 items, got 2"),
    "a packed ciphertext more": (lambda b: b["contests"][0]["ciphertexts"].append(
        b["contests"][0]["ciphertexts"][0]),
        "ballot contest 0.ciphertexts: expected 1 items, got 2"),
    "ciphertext fields": (lambda b: b["contests"][2]["ciphertexts"][1].pop("beta"),
                          "ballot contest 2: missing ['beta'], unexpected []"),
    "two packed proofs": (lambda b: b["contests"][0]["proofs"].append(
        b["contests"][0]["proofs"][0]), "ballot contest 0.proofs: expected 1 items, got 2"),
    "a packed branch short": (lambda b: b["contests"][1]["proofs"][0]["c"].pop(),
                              "ballot contest 1.c: expected 3 items, got 2"),
    "a selection proof short": (lambda b: b["contests"][2]["proofs"].pop(),
                                "ballot contest 2.proofs: expected 3 items, got 2"),
    "a selection branch more": (lambda b: b["contests"][2]["proofs"][0]["u"].append(
        b["contests"][2]["proofs"][0]["u"][0]), "ballot contest 2.u: expected 2 items, got 3"),
    "a range branch short": (lambda b: b["contests"][2]["range_proof"]["c"].pop(),
                             "ballot contest 2.c: expected 3 items, got 2"),
    "a packed range proof": (lambda b: b["contests"][0].update(
        range_proof=b["contests"][2]["range_proof"]),
        "ballot contest 0: a packed contest has no range proof"),
    "signature fields": (lambda b: b["signature"].pop("u"),
                         "ballot.signature: missing ['u'], unexpected []"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_malformed_ballot_is_refused_by_its_own_check(small, cast, case):
    election, _, _ = small
    change, message = CASES[case]
    refused(election, altered(cast, change), message)


def test_not_an_object(small, cast):
    election, _, _ = small
    refused(election, [cast], "ballot: expected an object")


def test_another_round_or_fingerprint_is_a_wrong_election(small, cast):
    election, _, _ = small
    refused(election, altered(cast, lambda b: b.update(round="round-2")),
            "ballot is for another round", WrongElection)
    refused(election, altered(cast, lambda b: b.update(fingerprint="ab" * 32)),
            "ballot carries another election fingerprint", WrongElection)


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_ballots_raise_only_crypto_errors(small, cast, case):
    election, _, _ = small
    change, _ = CASES[case]
    with pytest.raises(CryptoError):
        verify_ballot(election, altered(cast, change))


def test_ciphertexts_alone_are_read_as_strictly(small, cast):
    election, _, _ = small
    parsed = parse_ballot(election, cast)
    assert read_ciphertexts(election, cast) == [list(c.ciphertexts) for c in parsed.contests]
    # The other fields do not matter to it ...
    assert read_ciphertexts(election, {"contests": cast["contests"]}) == \
        read_ciphertexts(election, cast)

    def refused_read(bad, message):
        with pytest.raises(InvalidStructure, match=f"^{re.escape(message)}$"):
            read_ciphertexts(election, bad)

    # ... but the ciphertexts' shape does.
    refused_read([cast], "ballot: expected an object")
    refused_read({}, "ballot.contests: expected a list")
    refused_read(altered(cast, lambda b: b["contests"].pop()),
                 "ballot.contests: expected 3 items, got 2")
    refused_read(altered(cast, lambda b: b["contests"].__setitem__(1, [])),
                 "ballot contest 1: expected an object")
    refused_read(altered(cast, lambda b: b["contests"][2]["ciphertexts"].pop()),
                 "ballot contest 2.ciphertexts: expected 3 items, got 2")
    refused_read(altered(cast, lambda b: b["contests"][0]["ciphertexts"][0].pop("alpha")),
                 "ballot contest 0: missing ['alpha'], unexpected []")


def test_proof_checks_never_skip_a_contest_or_an_entry(small, cast):
    """Given a ballot whose parts do not match the manifest (which parsing
    prevents), the checks fail instead of checking the common part."""
    election, _, _ = small
    ballot = parse_ballot(election, cast)
    verify_selection_proofs(election, ballot)
    verify_range_proofs(election, ballot)
    fewer = dataclasses.replace(ballot, contests=ballot.contests[:2])
    with pytest.raises(ValueError):
        verify_selection_proofs(election, fewer)
    with pytest.raises(ValueError):
        verify_range_proofs(election, fewer)
    last = ballot.contests[2]
    short = dataclasses.replace(last, proofs=last.proofs[:2])
    with pytest.raises(ValueError):
        verify_selection_proofs(election, dataclasses.replace(
            ballot, contests=ballot.contests[:2] + (short,)))
