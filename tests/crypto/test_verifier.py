"""The verifier on real records, and each numbered check failing on a record
broken in its way (§14). Most tampering re-links the chain and re-signs the
record with the server's key, so that the check under test is the one that
must catch it, not merely the chain or signature."""

from __future__ import annotations

import copy
import json
import random
import re
import zipfile

import pytest

from voting.crypto.ballot import encrypt_ballot
from voting.crypto.ballot import tracker
from voting.crypto.codec import point_hex
from voting.crypto.codec import scalar_hex
from voting.crypto.election import fingerprint
from voting.crypto.group import mul_base
from voting.crypto.hashing import canonical_json
from voting.crypto.record import write_record
from voting.crypto.verifier import CHECKS
from voting.crypto.verifier import verify_record
from voting.simulate import simulate

from . import records
from .records import first
from .records import relink


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    path = tmp_path_factory.mktemp("record") / "r.zip"
    result = simulate(ballots=6, units=2, trustees=3, threshold=2, out=path, workers=1, seed=7,
                      audits=2)
    return result, path


def events_of(sim) -> list[dict]:
    return copy.deepcopy(sim[0].chain.events)


def check(sim, tmp_path, events, *, rechain=True, workers=1):
    path = tmp_path / "t.zip"
    events = relink(events) if rechain else events
    write_record(path, map(canonical_json, events), sim[0].server_key)
    return verify_record(path, workers=workers)


def resign(sim, event):
    records.resign(sim[0], event)


def assert_fails(report, number):
    assert not report.ok
    assert not report.passed(number), f"check {number} should fail:\n" + "\n".join(report.lines())


def test_untouched_record_passes_every_check(sim):
    report = verify_record(sim[1], workers=1)
    assert report.ok, "\n".join(report.lines())
    assert report.ballots == 6 and len(report.lines()) >= len(CHECKS)


def test_two_workers_give_the_same_verdict(sim):
    assert verify_record(sim[1], workers=2).ok


def test_1_format_non_canonical_line(sim, tmp_path):
    path = tmp_path / "t.zip"
    with zipfile.ZipFile(sim[1]) as src, zipfile.ZipFile(path, "w") as dst:
        lines = src.read("board.jsonl").split(b"\n")
        lines[1] = lines[1].replace(b'":', b'": ', 1)
        dst.writestr("board.jsonl", b"\n".join(lines))
        dst.writestr("signature.json", src.read("signature.json"))
    assert_fails(verify_record(path, workers=1), 1)


def test_1_format_missing_file(sim, tmp_path):
    path = tmp_path / "t.zip"
    with zipfile.ZipFile(sim[1]) as src, zipfile.ZipFile(path, "w") as dst:
        dst.writestr("board.jsonl", src.read("board.jsonl"))
    assert_fails(verify_record(path, workers=1), 1)


def test_1_format_unknown_field(sim, tmp_path):
    events = events_of(sim)
    events[1]["body"]["extra"] = 1
    assert_fails(check(sim, tmp_path, events), 1)


def test_2_chain_reordered_ballots(sim, tmp_path):
    events = events_of(sim)
    i = events.index(first(events, "ballot"))
    events[i], events[i + 1] = events[i + 1], events[i]
    assert_fails(check(sim, tmp_path, events, rechain=False), 2)


def test_2_chain_dropped_event_without_relinking(sim, tmp_path):
    events = events_of(sim)
    events.remove(first(events, "ballot"))
    assert_fails(check(sim, tmp_path, events, rechain=False), 2)


def test_2_chain_truncated_before_result(sim, tmp_path):
    events = events_of(sim)[:-1]
    report = check(sim, tmp_path, events)
    assert_fails(report, 2)
    assert not report.passed(17)  # the counts were never checked: not a pass


def test_2_chain_event_out_of_order(sim, tmp_path):
    events = events_of(sim)
    close = first(events, "close")
    events.remove(close)
    events.insert(2, close)
    assert_fails(check(sim, tmp_path, events), 2)


def test_3_signature_altered(sim, tmp_path):
    path = tmp_path / "t.zip"
    with zipfile.ZipFile(sim[1]) as src, zipfile.ZipFile(path, "w") as dst:
        dst.writestr("board.jsonl", src.read("board.jsonl"))
        sig = json.loads(src.read("signature.json"))
        sig["signature"] = ("0" if sig["signature"][0] != "0" else "1") + sig["signature"][1:]
        dst.writestr("signature.json", json.dumps(sig))
    assert_fails(verify_record(path, workers=1), 3)


def test_3_signed_by_another_key(sim, tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = tmp_path / "t.zip"
    write_record(path, map(canonical_json, events_of(sim)), Ed25519PrivateKey.generate())
    assert_fails(verify_record(path, workers=1), 3)


def test_4_fingerprint_altered(sim, tmp_path):
    events = events_of(sim)
    events[0]["body"]["fingerprint"] = "ab" * 32
    assert_fails(check(sim, tmp_path, events), 4)


def _edit_election(sim, tmp_path, edit):
    """Change the election and give it a consistent new fingerprint."""
    events = events_of(sim)
    edit(events[0]["body"]["election"])
    events[0]["body"]["fingerprint"] = fingerprint(events[0]["body"]["election"]).hex()
    return check(sim, tmp_path, events)


def test_5_manifest_broken(sim, tmp_path):
    report = _edit_election(sim, tmp_path, lambda e: e["manifest"]["contests"][0].update(max=3))
    assert_fails(report, 5)


def test_6_public_share_altered(sim, tmp_path):
    report = _edit_election(sim, tmp_path, lambda e: e["trustees"][1].update(
        public_share=point_hex(mul_base(12345))))
    assert_fails(report, 6)


def test_6_joint_key_altered(sim, tmp_path):
    report = _edit_election(sim, tmp_path, lambda e: e.update(public_key=point_hex(mul_base(7))))
    assert_fails(report, 6)


def test_6_coefficient_proof_altered(sim, tmp_path):
    def edit(e):
        e["dealers"][0]["proofs"][1]["u"] = scalar_hex(5)

    assert_fails(_edit_election(sim, tmp_path, edit), 6)


def test_7_credentials_unsorted(sim, tmp_path):
    assert_fails(_edit_election(sim, tmp_path, lambda e: e["credentials"].reverse()), 7)


def test_8_ballot_with_wrong_fingerprint(sim, tmp_path):
    events = events_of(sim)
    event = first(events, "ballot")
    event["body"]["ballot"]["fingerprint"] = "cd" * 32
    resign(sim, event)
    assert_fails(check(sim, tmp_path, events), 8)


def test_8_ballot_with_invalid_point(sim, tmp_path):
    events = events_of(sim)
    event = first(events, "ballot")
    event["body"]["ballot"]["contests"][0]["ciphertexts"][0]["alpha"] = "01" + "00" * 31
    resign(sim, event)
    assert_fails(check(sim, tmp_path, events), 8)


def test_9_forged_signature(sim, tmp_path):
    events = events_of(sim)
    event = first(events, "ballot")
    event["body"]["ballot"]["signature"]["u"] = scalar_hex(42)
    event["body"]["tracker"] = tracker(event["body"]["ballot"]).hex()
    assert_fails(check(sim, tmp_path, events), 9)


def test_10_tracker_altered(sim, tmp_path):
    events = events_of(sim)
    first(events, "ballot")["body"]["tracker"] = "00" * 32
    assert_fails(check(sim, tmp_path, events), 10)


def test_11_second_ballot_from_one_credential(sim, tmp_path):
    events = events_of(sim)
    ballot = first(events, "ballot")
    events.insert(events.index(ballot) + 1, copy.deepcopy(ballot))
    first(events, "close")["body"]["bases"]["cast"] += 1
    assert_fails(check(sim, tmp_path, events), 11)


def test_11_ballot_after_revocation(sim, tmp_path):
    events = events_of(sim)
    ballot = first(events, "ballot")
    revoke = {"seq": 0, "parent": "", "type": "revoke",
              "body": {"credential": ballot["body"]["ballot"]["credential"]}}
    events.insert(events.index(ballot), revoke)
    assert_fails(check(sim, tmp_path, events), 11)


def test_11_unpublished_credential(sim, tmp_path):
    """A well-formed ballot for this election from a card the server made up."""
    events = events_of(sim)
    election = sim[0].election
    stuffed = encrypt_ballot(election, [[0], [0], [1]], 424242)
    stuffed_event = {"seq": 0, "parent": "", "type": "ballot",
                     "body": {"ballot": stuffed, "tracker": tracker(stuffed).hex()}}
    events.insert(events.index(first(events, "close")), stuffed_event)
    first(events, "close")["body"]["bases"]["cast"] += 1
    assert_fails(check(sim, tmp_path, events), 11)


def test_12_changed_ciphertext(sim, tmp_path):
    events = events_of(sim)
    event = first(events, "ballot")
    ct = event["body"]["ballot"]["contests"][0]["ciphertexts"][0]
    ct["beta"] = point_hex(mul_base(987654321))
    resign(sim, event)
    assert_fails(check(sim, tmp_path, events), 12)


def test_12_altered_selection_proof(sim, tmp_path):
    events = events_of(sim)
    event = first(events, "ballot")
    proof = event["body"]["ballot"]["contests"][2]["proofs"][0]
    proof["u"][0] = scalar_hex(3)
    resign(sim, event)
    assert_fails(check(sim, tmp_path, events), 12)


def test_13_altered_range_proof(sim, tmp_path):
    events = events_of(sim)
    event = first(events, "ballot")
    event["body"]["ballot"]["contests"][2]["range_proof"]["c"][1] = scalar_hex(3)
    resign(sim, event)
    report = check(sim, tmp_path, events)
    assert_fails(report, 13)
    assert report.passed(12)


def test_14_wrong_cast_count(sim, tmp_path):
    events = events_of(sim)
    first(events, "close")["body"]["bases"]["cast"] = 5
    assert_fails(check(sim, tmp_path, events), 14)


def test_14_dropped_ballot_relinked(sim, tmp_path):
    events = events_of(sim)
    events.remove(first(events, "ballot"))
    report = check(sim, tmp_path, events)
    assert_fails(report, 14)
    assert not report.passed(15)


def test_15_tally_altered(sim, tmp_path):
    events = events_of(sim)
    tally = first(events, "tally")["body"]["ciphertexts"]
    tally[0][0]["beta"] = point_hex(mul_base(11))
    assert_fails(check(sim, tmp_path, events), 15)


def test_16_bad_partial_decryption(sim, tmp_path):
    events = events_of(sim)
    first(events, "partial")["body"]["shares"][0][0]["d"] = point_hex(mul_base(5))
    assert_fails(check(sim, tmp_path, events), 16)


def test_16_duplicate_trustee(sim, tmp_path):
    events = events_of(sim)
    partial = first(events, "partial")
    events.insert(events.index(partial), copy.deepcopy(partial))
    assert_fails(check(sim, tmp_path, events), 16)


def test_17_wrong_count(sim, tmp_path):
    events = events_of(sim)
    events[-1]["body"]["counts"][0][0] += 1
    assert_fails(check(sim, tmp_path, events), 17)


def test_17_too_few_trustees(sim, tmp_path):
    events = events_of(sim)
    events[-1]["body"]["trustees"] = events[-1]["body"]["trustees"][:1]
    assert_fails(check(sim, tmp_path, events), 17)


def test_18_altered_rule_outcome(sim, tmp_path):
    events = events_of(sim)
    outcome = events[-1]["body"]["outcomes"][0][0]
    outcome["status"] = "not_elected" if outcome["status"] == "elected" else "elected"
    report = check(sim, tmp_path, events)
    assert_fails(report, 18)
    assert report.passed(17)


def test_19_revealed_choice_changed(sim, tmp_path):
    """The tamper suite's audit: a challenged encryption whose revealed
    choice is not the one its ciphertext encrypts (PROTOCOL §8.6)."""
    events = events_of(sim)
    audit = next(e for e in events if e["type"] == "audit")["body"]
    audit["choices"][0] = [1] if audit["choices"][0] != [1] else [0]
    report = check(sim, tmp_path, events)
    assert_fails(report, 19)
    assert all(report.passed(n) for n in CHECKS if n != 19), report.lines()


def test_every_check_has_a_tamper_test():
    names = [n for n in globals() if n.startswith("test_")]
    covered = {int(n.split("_")[1]) for n in names if n.split("_")[1].isdigit()}
    assert covered == set(CHECKS)


def test_any_single_altered_value_is_caught(sim, tmp_path):
    """The "Done when": alter one value anywhere in the board (a hex digit
    of a point, scalar or link, or a digit of a number) and leave the rest
    as it is; verification must fail."""
    with zipfile.ZipFile(sim[1]) as src:
        board, signature = src.read("board.jsonl"), src.read("signature.json")
    hex_digits = [m.start() + k for m in re.finditer(rb'"[0-9a-f]{64}"', board)
                  for k in range(1, 65)]
    numbers = [m.start() for m in re.finditer(rb"(?<=:)[0-9]+", board)]
    rnd = random.Random(3)
    for n, pos in enumerate(rnd.sample(hex_digits, 16) + rnd.sample(numbers, 8)):
        new = b"1" if board[pos:pos + 1] == b"0" else b"0"
        path = tmp_path / f"a{n}.zip"
        with zipfile.ZipFile(path, "w") as dst:
            dst.writestr("board.jsonl", board[:pos] + new + board[pos + 1:])
            dst.writestr("signature.json", signature)
        assert not verify_record(path, workers=1).ok, f"change at byte {pos} went unnoticed"
