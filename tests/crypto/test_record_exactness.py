"""The verdict PROTOCOL.md states for each edge of the record format
(§3.2, §5, §9, §13, §14), shown on signed records: exact types, an exact
container, checks that fail when they could not be evaluated, and the
spec's answers to the questions an outside verifier asked."""

from __future__ import annotations

import copy
import json
import warnings
import zipfile

import pytest

from voting.crypto import keys
from voting.crypto.audit import audit_body
from voting.crypto.codec import point_hex
from voting.crypto.codec import scalar_hex
from voting.crypto.drbg import TestRng
from voting.crypto.election import fingerprint
from voting.crypto.group import mul_base
from voting.crypto.hashing import canonical_json
from voting.crypto.verifier import CHECKS
from voting.crypto.verifier import verify_record
from voting.simulate import simulate

from .conftest import agree_contest
from .conftest import choose_contest
from .records import build_round
from .records import failing
from .records import first
from .records import relink_lines
from .records import resign
from .records import signed
from .records import signed_lines
from .records import verify

ALL = set(CHECKS)
PER_UNIT = {"contests": ["a", "b"], "option": "agree", "comparator": ">", "fraction": [1, 2],
            "base": "present", "quota": None, "ties": "runoff"}
FLAG = {"contests": ["c"], "option": None, "comparator": ">", "fraction": [1, 2],
        "base": "cast", "quota": 1, "ties": "runoff"}
CHOICES = [[[0], [1], [0]], [[0], [], [1]], [[1], [0], [0]], [[0], [0], []]]


@pytest.fixture(scope="module")
def rnd():
    return build_round([agree_contest("a"), agree_contest("b"), choose_contest("c", 3, 1)],
                       [PER_UNIT, FLAG], CHOICES)


def events(rnd):
    return copy.deepcopy(rnd.events)


def lines_of(rnd) -> list[bytes]:
    return [canonical_json(e) for e in rnd.events]


def test_the_honest_round_passes(rnd, tmp_path):
    report = verify(tmp_path, events(rnd), rnd.server_key)
    assert report.ok, "\n".join(report.lines())
    assert report.counts == first(rnd.events, "result")["body"]["counts"]
    assert report.count_lines()[0] == "  a: agree 3, disagree 1"
    assert not any("SKIP" in line for line in report.lines())


# --- 1. Types are exact (§3.2) ---------------------------------------------------

def _result_with(rnd, edit):
    evs = events(rnd)
    edit(evs[-1]["body"])
    return evs


@pytest.mark.parametrize("value", [True, False])
def test_a_boolean_count_is_not_an_integer(rnd, tmp_path, value):
    def edit(body):
        row = next(r for r in body["counts"] if int(value) in r)
        row[row.index(int(value))] = value

    report = verify(tmp_path, _result_with(rnd, edit), rnd.server_key)
    assert failing(report) == {1, 17, 18}, report.lines()


def test_a_boolean_outcome_option_is_not_an_index(rnd, tmp_path):
    """The result body is malformed (check 1), so the checks that read it
    cannot be evaluated and fail too."""
    def edit(body):
        flag = body["outcomes"][1]
        assert flag[0]["option"] == 0
        flag[0]["option"] = False

    report = verify(tmp_path, _result_with(rnd, edit), rnd.server_key)
    assert failing(report) == {1, 17, 18}, report.lines()
    assert report.failures[18] == ["not evaluated: no readable result event"]


def test_a_boolean_seq_makes_the_line_unreadable(rnd, tmp_path):
    evs = events(rnd)
    lines = lines_of(rnd)
    evs[1]["seq"] = True
    lines[1] = canonical_json(evs[1])
    report = verify_record(signed_lines(tmp_path, relink_lines(lines, 1), rnd.server_key),
                           workers=1)
    assert failing(report) == ALL, report.lines()
    assert "not evaluated" in report.failures[2][0]


@pytest.mark.parametrize("value", [2**53 + 1, -(2**53) - 1, 1.0])
def test_a_number_beyond_the_json_range_makes_the_line_unreadable(rnd, tmp_path, value):
    lines = lines_of(rnd)
    lines[1] = lines[1].replace(b'"seq":1', b'"seq":1,"x":' + json.dumps(value).encode())
    report = verify_record(signed_lines(tmp_path, relink_lines(lines, 1), rnd.server_key),
                           workers=1)
    assert 1 in failing(report) and "not readable JSON" in report.failures[1][0]


def test_the_json_range_bound_itself_is_readable(rnd, tmp_path):
    """2^53 is an integer of canonical JSON: the line is readable, and only
    the unexpected key fails check 1."""
    lines = lines_of(rnd)
    evs = events(rnd)
    evs[1]["body"]["x"] = 2**53
    lines[1] = canonical_json(evs[1])
    report = verify_record(signed_lines(tmp_path, relink_lines(lines, 1), rnd.server_key),
                           workers=1)
    assert failing(report) == {1}, report.lines()


@pytest.mark.parametrize("name", ["members", "cast"])
def test_a_boolean_base_fails_check_1_and_the_close_check(rnd, tmp_path, name):
    evs = events(rnd)
    bases = first(evs, "close")["body"]["bases"]
    bases[name] = True if bases[name] else False
    report = verify(tmp_path, evs, rnd.server_key)
    assert {1, 14, 18} <= failing(report), report.lines()


# --- 2. The container is exact (§13) -----------------------------------------------

def _rezip(src, dst, members):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns of duplicate names
            for name, data in members(zin):
                zout.writestr(name, data)
    return dst


def test_a_third_member_fails_check_1_only(rnd, tmp_path):
    path = _rezip(signed(tmp_path, events(rnd), rnd.server_key), tmp_path / "x.zip",
                  lambda z: [(n, z.read(n)) for n in z.namelist()] + [("notes.txt", b"hi")])
    report = verify_record(path, workers=1)
    assert failing(report) == {1}, report.lines()


@pytest.mark.parametrize("twice", ["board.jsonl", "signature.json"])
def test_a_member_given_twice_leaves_nothing_to_evaluate(rnd, tmp_path, twice):
    path = _rezip(signed(tmp_path, events(rnd), rnd.server_key), tmp_path / "x.zip",
                  lambda z: [(n, z.read(n)) for n in z.namelist()] + [(twice, z.read(twice))])
    report = verify_record(path, workers=1)
    assert failing(report) == ALL
    assert any("appears 2 times" in m for m in report.failures[1])


def test_the_board_ends_with_a_newline(rnd, tmp_path):
    report = verify_record(signed_lines(tmp_path, lines_of(rnd), rnd.server_key,
                                        newline=False), workers=1)
    assert failing(report) == {1}
    assert "newline" in report.failures[1][0]
    assert verify_record(signed_lines(tmp_path, lines_of(rnd), rnd.server_key,
                                      name="ok.zip"), workers=1).ok


def test_an_empty_line_is_an_unreadable_event(rnd, tmp_path):
    lines = lines_of(rnd)
    report = verify_record(signed_lines(tmp_path, [*lines, b""], rnd.server_key), workers=1)
    assert failing(report) == ALL


@pytest.mark.parametrize("at", ["2026-01-15 09:00Z", "2026-01-15T09:00:00Z",
                                "2026-02-30T09:00Z", "2026-01-15T24:00Z", "2026-01-15T09:00"])
def test_the_time_format_of_open_and_close(rnd, tmp_path, at):
    for kind in ("open", "close"):
        evs = events(rnd)
        first(evs, kind)["body"]["at"] = at
        report = verify(tmp_path, evs, rnd.server_key)
        assert 1 in failing(report), (kind, at)
        if kind == "open":
            assert failing(report) == {1}


def test_signature_json_must_be_canonical(rnd, tmp_path):
    path = signed(tmp_path, events(rnd), rnd.server_key)
    report = _rezip(path, tmp_path / "x.zip", lambda z: [
        ("board.jsonl", z.read("board.jsonl")),
        ("signature.json", json.dumps(json.loads(z.read("signature.json"))).encode())])
    report = verify_record(report, workers=1)
    assert failing(report) == {1, 3}


def test_uppercase_hex_in_the_signature_is_refused(rnd, tmp_path):
    path = signed(tmp_path, events(rnd), rnd.server_key)

    def members(z):
        sig = json.loads(z.read("signature.json"))
        sig["signature"] = sig["signature"].upper()
        return [("board.jsonl", z.read("board.jsonl")), ("signature.json", canonical_json(sig))]

    report = verify_record(_rezip(path, tmp_path / "x.zip", members), workers=1)
    assert failing(report) == {1, 3}


# --- 3. Checks report what they evaluated (§14) ---------------------------------------

def test_a_ballot_failing_check_8_fails_its_signature_and_proof_checks(rnd, tmp_path):
    """A ballot naming another fingerprint, left unsigned and with its old
    tracker: checks 9 and 10 find it wrong rather than passing it by."""
    evs = events(rnd)
    first(evs, "ballot")["body"]["ballot"]["fingerprint"] = "cd" * 32
    report = verify(tmp_path, evs, rnd.server_key)
    assert failing(report) == {8, 9, 10, 12, 13}, report.lines()
    assert "not evaluated" in report.failures[9][0]


def test_a_re_signed_ballot_failing_check_8_still_counts_in_the_tally(rnd, tmp_path):
    evs = events(rnd)
    event = first(evs, "ballot")
    event["body"]["ballot"]["fingerprint"] = "cd" * 32
    resign(rnd, event)
    report = verify(tmp_path, evs, rnd.server_key)
    assert failing(report) == {8, 9, 12, 13}, report.lines()


def test_the_tally_sums_ballots_whose_signature_fails(rnd, tmp_path):
    evs = events(rnd)
    event = first(evs, "ballot")
    event["body"]["ballot"]["signature"]["u"] = "05" + "00" * 31
    event["body"]["tracker"] = __import__("voting.crypto.ballot", fromlist=["tracker"]).tracker(
        event["body"]["ballot"]).hex()
    report = verify(tmp_path, evs, rnd.server_key)
    assert failing(report) == {9}, report.lines()


def test_decryption_checks_use_the_published_tally(rnd, tmp_path):
    """A ballot's ciphertext changed after the fact: the tally no longer is
    its sum (check 15), but the trustees' decryption of the published tally
    still verifies (checks 16 and 17)."""
    evs = events(rnd)
    event = first(evs, "ballot")
    event["body"]["ballot"]["contests"][0]["ciphertexts"][0]["beta"] = point_hex(mul_base(99))
    resign(rnd, event)
    report = verify(tmp_path, evs, rnd.server_key)
    assert failing(report) == {12, 15}, report.lines()


def test_a_truncated_board_fails_what_it_cannot_reach(rnd, tmp_path):
    evs = [e for e in events(rnd) if e["type"] not in ("partial", "result")]
    report = verify(tmp_path, evs, rnd.server_key)
    assert failing(report) == {2, 17, 18}, report.lines()
    assert all(m.startswith("not evaluated") for m in report.failures[17])


def test_an_invalid_election_leaves_every_later_check_failing(rnd, tmp_path):
    evs = events(rnd)
    election = evs[0]["body"]["election"]
    election["manifest"]["contests"][0]["max"] = 3
    evs[0]["body"]["fingerprint"] = fingerprint(election).hex()
    report = verify(tmp_path, evs, rnd.server_key)
    assert failing(report) == ALL - {1, 2, 3, 4}, report.lines()


# --- 4. Bases are consistent (§14.14) ------------------------------------------------

@pytest.mark.parametrize(("bases", "ok"), [
    ({"members": 6, "present": 5, "issued": 4, "cast": 4}, True),
    ({"members": 4, "present": 4, "issued": 4, "cast": 4}, True),
    ({"members": 6, "present": 5, "issued": 3, "cast": 4}, False),
    ({"members": 6, "present": 3, "issued": 4, "cast": 4}, False),
    ({"members": 4, "present": 5, "issued": 4, "cast": 4}, False),
    ({"members": 6, "present": 5, "issued": 5, "cast": 3}, False),
    ({"members": 6, "present": 5, "issued": 5, "cast": 5}, False),
])
def test_close_bases_on_each_boundary(rnd, tmp_path, bases, ok):
    evs = events(rnd)
    first(evs, "close")["body"]["bases"] = bases
    assert verify(tmp_path, evs, rnd.server_key).passed(14) is ok


def test_more_ballots_than_credentials(tmp_path):
    built = build_round([agree_contest("a")], [], [[[0]], [[1]]], voters=2,
                        bases={"members": 3, "present": 3, "issued": 3, "cast": 3})
    evs = copy.deepcopy(built.events)
    ballot = first(evs, "ballot")
    evs.insert(evs.index(ballot) + 1, copy.deepcopy(ballot))
    report = verify(tmp_path, evs, built.server_key)
    assert "more ballots than published credentials" in report.failures[14]
    assert not report.passed(11)


def test_a_chair_who_never_checked_in(rnd, tmp_path):
    """The defect behind §14.14: one vote 'elected by more than half of
    those present' with nobody present."""
    evs = events(rnd)
    first(evs, "close")["body"]["bases"] = {"members": 25, "present": 0, "issued": 0,
                                            "cast": 4}
    report = verify(tmp_path, evs, rnd.server_key)
    assert not report.passed(14)


# --- 5. Spec gaps closed ---------------------------------------------------------------

def _election_edit(rnd, tmp_path, edit):
    evs = events(rnd)
    election = evs[0]["body"]["election"]
    edit(election)
    evs[0]["body"]["fingerprint"] = fingerprint(election).hex()
    return verify(tmp_path, evs, rnd.server_key)


@pytest.mark.parametrize(("where", "check"), [
    (lambda e: e["manifest"], 5),
    (lambda e: e["manifest"]["contests"][0], 5),
    (lambda e: e["manifest"]["contests"][2]["options"][1], 5),
    (lambda e: e["manifest"]["rules"][0], 5),
    (lambda e: e, 6),
    (lambda e: e["trustees"][0], 6),
    (lambda e: e["dealers"][0], 6),
])
def test_extra_keys_anywhere_in_the_election(rnd, tmp_path, where, check):
    report = _election_edit(rnd, tmp_path, lambda e: where(e).update(note="x"))
    assert check in failing(report) and 4 not in failing(report), report.lines()


def test_later_checks_use_the_recomputed_fingerprint(rnd, tmp_path):
    evs = events(rnd)
    evs[0]["body"]["fingerprint"] = "ab" * 32
    report = verify(tmp_path, evs, rnd.server_key)
    assert failing(report) == {4}, report.lines()


def test_a_rule_needs_a_contest_and_a_manifest_may_have_no_rule(tmp_path):
    rule = dict(PER_UNIT, contests=[])
    built = build_round([agree_contest("a")], [], [[[0]], [[1]], [[0]]])
    assert verify(tmp_path, built.events, built.server_key).ok
    assert built.events[-1]["body"]["outcomes"] == []

    def edit(e):
        e["manifest"]["rules"] = [rule]

    evs = copy.deepcopy(built.events)
    edit(evs[0]["body"]["election"])
    evs[0]["body"]["fingerprint"] = fingerprint(evs[0]["body"]["election"]).hex()
    report = verify(tmp_path, evs, built.server_key)
    assert 5 in failing(report)


def test_outcomes_are_indices_in_candidate_order(rnd, tmp_path):
    outcomes = rnd.events[-1]["body"]["outcomes"]
    assert [(o["contest"], o["option"]) for o in outcomes[0]] == [(0, None), (1, None)]
    assert [(o["contest"], o["option"]) for o in outcomes[1]] == [(2, 0), (2, 1), (2, 2)]
    evs = events(rnd)
    flag = evs[-1]["body"]["outcomes"][1]
    flag[0], flag[1] = flag[1], flag[0]
    assert failing(verify(tmp_path, evs, rnd.server_key)) == {18}


def test_an_alpha_repeated_within_one_ballot(tmp_path):
    """A ballot whose every draw is the same scalar: its proofs verify, but
    its ciphertexts share α, which check 11 refuses (§8.5, §14.11)."""
    from voting.crypto.ballot import encrypt_ballot
    from voting.crypto.ballot import tracker

    built = build_round([choose_contest("c", 3, 1)], [], [[[0]]])
    ballot = encrypt_ballot(built.election, [[1]], built.secrets[1], lambda n: bytes([7]) * n)
    evs = copy.deepcopy(built.events)
    close = first(evs, "close")
    evs.insert(evs.index(close), {"seq": 0, "parent": "", "type": "ballot",
                                  "body": {"ballot": ballot, "tracker": tracker(ballot).hex()}})
    report = verify(tmp_path, evs, built.server_key)
    assert 11 in failing(report) and report.passed(12) and report.passed(13)
    assert "repeats an α" in report.failures[11][0]


def test_a_ballot_after_close(tmp_path):
    """It breaks the order (check 2) and is still checked as a ballot, but
    neither the cast count (14) nor the tally (15) includes it."""
    from voting.crypto.ballot import encrypt_ballot
    from voting.crypto.ballot import tracker

    built = build_round([agree_contest("a")], [PER_UNIT | {"contests": ["a"]}],
                        [[[0]], [[1]]], voters=3)
    late = encrypt_ballot(built.election, [[0]], built.secrets[2])
    evs = copy.deepcopy(built.events)
    close = first(evs, "close")
    evs.insert(evs.index(close) + 1, {"seq": 0, "parent": "", "type": "ballot",
                                      "body": {"ballot": late, "tracker": tracker(late).hex()}})
    assert failing(verify(tmp_path, evs, built.server_key)) == {2}


def test_a_revoke_after_close(rnd, tmp_path):
    evs = events(rnd)
    voted = {e["body"]["ballot"]["credential"] for e in evs if e["type"] == "ballot"}
    credential = next(c for c in evs[0]["body"]["election"]["credentials"] if c not in voted)
    evs.insert(evs.index(first(evs, "close")) + 1,
               {"seq": 0, "parent": "", "type": "revoke", "body": {"credential": credential}})
    assert failing(verify(tmp_path, evs, rnd.server_key)) == {2}


def test_a_partial_decryption_in_a_round_without_ballots(rnd, tmp_path):
    built = build_round([agree_contest("a"), agree_contest("b"), choose_contest("c", 3, 1)],
                        [], [])
    assert verify(tmp_path, built.events, built.server_key).ok
    evs = copy.deepcopy(built.events)
    evs.insert(len(evs) - 1, copy.deepcopy(first(rnd.events, "partial")))
    assert failing(verify(tmp_path, evs, built.server_key)) == {16}


def test_a_lone_surrogate_makes_the_line_unreadable(rnd, tmp_path):
    lines = lines_of(rnd)
    lines[0] = lines[0].replace('"title":"Vòng"'.encode(), b'"title":"\\ud800"', 1)
    assert b"ud800" in lines[0]
    report = verify_record(signed_lines(tmp_path, relink_lines(lines, 0), rnd.server_key),
                           workers=1)
    assert failing(report) == ALL, report.lines()


def test_minus_zero_is_readable_but_not_canonical(rnd, tmp_path):
    lines = lines_of(rnd)
    assert lines[0].endswith(b'"seq":0,"type":"setup"}')
    lines[0] = lines[0].replace(b'"seq":0,"type"', b'"seq":-0,"type"')
    report = verify_record(signed_lines(tmp_path, relink_lines(lines, 0), rnd.server_key),
                           workers=1)
    assert failing(report) == {1}, report.lines()
    assert "canonical" in report.failures[1][0]


def test_lengths_count_code_points_and_ids_are_nfc(rnd, tmp_path):
    astral = "\U0001d538"  # two UTF-16 units, one code point
    ok = _election_edit(rnd, tmp_path, lambda e: e["manifest"].update(title=astral * 1000))
    assert 5 not in failing(ok)
    long = _election_edit(rnd, tmp_path, lambda e: e["manifest"].update(title=astral * 1001))
    assert 5 in failing(long)
    nfc = _election_edit(rnd, tmp_path, lambda e: e["manifest"]["contests"][2]["options"][0]
                         .update(id="\u00e9"))
    assert 5 not in failing(nfc)
    nfd = _election_edit(rnd, tmp_path, lambda e: e["manifest"]["contests"][2]["options"][0]
                         .update(id="e\u0301"))
    assert 5 in failing(nfd)


def test_the_server_key_is_validated_as_a_point(rnd, tmp_path):
    report = _election_edit(rnd, tmp_path, lambda e: e.update(server_key="00" * 32))
    assert {3, 6} <= failing(report) and 5 not in failing(report)
    report = _election_edit(rnd, tmp_path, lambda e: e.update(server_key=point_hex(mul_base(3))))
    assert 6 not in failing(report) and 3 in failing(report)


def test_voting_verify_prints_only_pass_or_fail_and_the_counts(rnd, tmp_path, capsys):
    from voting.verify import main

    assert main([str(signed(tmp_path, events(rnd), rnd.server_key)), "--quiet",
                 "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert out.count("PASS") == len(CHECKS) and "Counts verified" in out
    assert "  c: o0 2, o1 1, o2 0" in out
    evs = events(rnd)
    first(evs, "close")["body"]["bases"]["issued"] = 3
    assert main([str(signed(tmp_path, evs, rnd.server_key, name="bad.zip")), "--quiet",
                 "--workers", "1"]) == 1
    out = capsys.readouterr().out
    assert "[14] FAIL" in out and "SKIP" not in out and "INVALID" in out


def test_a_non_canonical_ballot_line_is_still_checked_as_a_ballot(rnd, tmp_path):
    lines = lines_of(rnd)
    i = next(k for k, e in enumerate(rnd.events) if e["type"] == "ballot")
    spaced = lines[i].replace(b'{"ballot":', b'{ "ballot":', 1)
    lines[i] = spaced
    report = verify_record(signed_lines(tmp_path, relink_lines(lines, i), rnd.server_key),
                           workers=1)
    assert failing(report) == {1}, report.lines()
    assert report.failures[1] == [f"event {i}: not in canonical JSON"]
    assert report.ballots == len(CHOICES)
    lines[i] = spaced.replace(b'"fingerprint":"', b'"fingerprint":"00', 1)
    report = verify_record(signed_lines(tmp_path, relink_lines(lines, i), rnd.server_key,
                                        name="b.zip"), workers=1)
    assert {1, 8} <= failing(report)


def test_worker_processes_reach_the_same_verdicts(rnd, tmp_path):
    """Ballots go to worker processes in batches; the verdicts, check by
    check, are those of the single-process pass."""
    evs = events(rnd)
    bad = first(evs, "ballot")
    bad["body"]["ballot"]["fingerprint"] = "cd" * 32
    lines = lines_of(rnd)
    lines[3] = lines[3].replace(b'{"ballot":', b'{ "ballot":', 1)
    paths = [signed(tmp_path, evs, rnd.server_key, name="a.zip"),
             signed_lines(tmp_path, relink_lines(lines, 3), rnd.server_key, name="b.zip"),
             signed(tmp_path, events(rnd), rnd.server_key, name="c.zip")]
    for path in paths:
        one, two = verify_record(path, workers=1), verify_record(path, workers=2)
        assert one.failures == two.failures and one.ballots == two.ballots


# --- what an outside verifier found in the first version of this pass -------------------

@pytest.mark.parametrize("kind", [b"[]", b"{}", b"1", b"null"])
def test_a_type_that_is_not_a_string_is_unreadable(rnd, tmp_path, kind):
    lines = lines_of(rnd)
    lines[1] = lines[1].replace(b'"type":"open"', b'"type":' + kind)
    report = verify_record(signed_lines(tmp_path, relink_lines(lines, 1), rnd.server_key),
                           workers=1)
    assert failing(report) == ALL


def test_a_negative_seq_is_unreadable(rnd, tmp_path):
    lines = lines_of(rnd)
    lines[1] = lines[1].replace(b'"seq":1', b'"seq":-1')
    report = verify_record(signed_lines(tmp_path, relink_lines(lines, 1), rnd.server_key),
                           workers=1)
    assert failing(report) == ALL


@pytest.mark.parametrize("encode", [
    lambda line: b"\xef\xbb\xbf" + line,  # a UTF-8 byte-order mark
    lambda line: line.decode().encode("utf-16"),
])
def test_a_line_that_is_not_plain_utf8_json_is_unreadable(rnd, tmp_path, encode):
    lines = lines_of(rnd)
    lines[1] = encode(lines[1])
    report = verify_record(signed_lines(tmp_path, relink_lines(lines, 1), rnd.server_key),
                           workers=1)
    assert failing(report) == ALL


def test_check_10_fails_on_a_ballot_whose_body_is_malformed(rnd, tmp_path):
    evs = events(rnd)
    first(evs, "ballot")["body"]["tracker"] = "XYZ"
    report = verify(tmp_path, evs, rnd.server_key)
    assert {1, 8, 10} <= failing(report)
    assert report.failures[10][0].endswith("not evaluated: the event's body is malformed")


def test_outcomes_beyond_the_json_range_fail_check_18_without_a_crash(tmp_path):
    valid = dict(PER_UNIT, contests=["a"], option="agree", base="valid")
    built = build_round([agree_contest("a")], [valid], [[[0]], [[1]]])
    evs = copy.deepcopy(built.events)
    evs[-1]["body"]["counts"] = [[2**53, 1]]
    report = verify(tmp_path, evs, built.server_key)
    assert {17, 18} <= failing(report)


@pytest.mark.parametrize("compression", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_members_are_stored_or_deflated(rnd, tmp_path, compression):
    src = signed(tmp_path, events(rnd), rnd.server_key)
    path = tmp_path / "c.zip"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w", compression) as zout:
        for name in zin.namelist():
            zout.writestr(name, zin.read(name))
    report = verify_record(path, workers=1)
    assert failing(report) == ALL and "stored nor deflated" in report.failures[1][0]


def test_a_corrupt_deflate_stream_is_unreadable(rnd, tmp_path):
    data = bytearray(signed(tmp_path, events(rnd), rnd.server_key).read_bytes())
    mid = data.index(b"board.jsonl") + 200  # inside the compressed board
    data[mid:mid + 40] = bytes(40)
    path = tmp_path / "corrupt.zip"
    path.write_bytes(bytes(data))
    report = verify_record(path, workers=1)
    assert failing(report) == ALL


def test_year_zero_does_not_exist(rnd, tmp_path):
    evs = events(rnd)
    first(evs, "open")["body"]["at"] = "0000-01-15T09:00Z"
    assert failing(verify(tmp_path, evs, rnd.server_key)) == {1}


def test_the_record_digest_is_the_framed_hash_of_section_13():
    """A known answer computed here from §3.1's framing, not by calling
    hash32: fingerprint, head and u64(n) under the tag "record"."""
    import hashlib

    from voting.crypto.record import record_digest

    fp, head, n = bytes(range(32)), bytes(range(32, 64)), 258
    items = [b"voting/v1/record", fp, head, n.to_bytes(8, "big")]
    framed = b"".join(len(x).to_bytes(4, "big") + x for x in items)
    assert record_digest(fp, head, n) == hashlib.sha512(framed).digest()[:32]


@pytest.mark.parametrize(("events_value", "failed"), [(2**53, {3}), (2**53 + 1, {1, 3}),
                                                      (-1, {1, 3}), (True, {1, 3})])
def test_signature_json_events_is_an_integer_in_range(rnd, tmp_path, events_value, failed):
    path = signed(tmp_path, events(rnd), rnd.server_key)

    def members(z):
        sig = json.loads(z.read("signature.json"))
        sig["events"] = events_value
        text = json.dumps(sig, sort_keys=True, separators=(",", ":")).encode()
        return [("board.jsonl", z.read("board.jsonl")), ("signature.json", text)]

    report = verify_record(_rezip(path, tmp_path / "x.zip", members), workers=1)
    assert failing(report) == failed, report.lines()


def test_an_empty_board_fails_check_1(rnd, tmp_path):
    path = signed(tmp_path, events(rnd), rnd.server_key)
    report = verify_record(_rezip(path, tmp_path / "x.zip", lambda z: [
        ("board.jsonl", b""), ("signature.json", z.read("signature.json"))]), workers=1)
    assert "board.jsonl holds no events" in report.failures[1]
    assert failing(report) == ALL


def _second_dealer(e: dict) -> None:
    """Add a valid dealing by dealer number 1 and fix K and the K_i to match."""
    dealers = e["dealers"] + [keys.deal(e["threshold"], len(e["trustees"]), dealer=1).to_json()]
    parsed = keys.parse_dealings(dealers, e["threshold"])
    e["dealers"] = dealers
    e["public_key"] = keys.joint_public_key(parsed).hex()
    for t in e["trustees"]:
        t["public_share"] = keys.public_share(parsed, t["index"]).hex()


@pytest.mark.parametrize(("edit", "ok"), [
    (lambda e: None, True),                                          # "dealer", one dealer
    (_second_dealer, False),                                         # "dealer", two dealers
    (lambda e: (_second_dealer(e), e.update(ceremony="distributed")), False),  # 2 of 3
    (lambda e: e.update(ceremony="distributed"), False),             # one dealer of 3
    (lambda e: e.update(ceremony="Dealer"), False),
    (lambda e: e.update(ceremony=None), False),
    (lambda e: e.pop("ceremony"), False),
])
def test_the_ceremony_names_how_many_dealers_there_are(rnd, tmp_path, edit, ok):
    """§5.3: "dealer" has exactly one dealer, "distributed" one per trustee;
    anything else fails check 6, though K and the K_i still match (the
    ballot checks, which need a valid election, are then not evaluated)."""
    report = _election_edit(rnd, tmp_path, edit)
    if ok:
        assert report.ok, report.lines()
    else:
        assert 6 in failing(report) and not failing(report) & {1, 2, 3, 4, 5, 7}, report.lines()
        assert "dealer" in " ".join(report.failures[6]) or "ceremony" in " ".join(
            report.failures[6]), report.failures[6]


def test_a_distributed_key_with_one_dealing_per_trustee_verifies(tmp_path):
    sim_path = tmp_path / "sim.zip"
    simulate(ballots=3, units=2, trustees=3, threshold=2, out=sim_path, workers=1, seed=5)
    report = verify_record(sim_path, workers=1)
    assert report.ok and report.key == ("distributed", 3, 2, 3), report.lines()


# --- 19. Audited encryptions (§8.6) ----------------------------------------------------

AUDIT_CHOICES = [[0], [], [2]]


def with_audits(rnd, count: int = 2, at: str = "close") -> list[dict]:
    """The round's events with ``count`` audits inserted before ``at``."""
    evs = events(rnd)
    where = evs.index(first(evs, at))
    for k in range(count):
        body = audit_body(rnd.election, AUDIT_CHOICES, TestRng(b"audit%d" % k))
        evs.insert(where, {"seq": 0, "parent": "", "type": "audit", "body": body})
    return evs


def audit_of(evs: list[dict], k: int = 0) -> dict:
    return [e for e in evs if e["type"] == "audit"][k]["body"]


def test_honest_audits_pass_and_count_nowhere(rnd, tmp_path):
    evs = with_audits(rnd, 3)
    report = verify(tmp_path, evs, rnd.server_key)
    assert report.ok, report.lines()
    assert report.ballots == len(CHOICES)              # not counted as ballots (check 14 passes)


def _other_randomness(body):
    body["randomness"][0][0] = scalar_hex(7)


def _swap_contests(body):
    body["ciphertexts"][0], body["ciphertexts"][1] = body["ciphertexts"][1], body["ciphertexts"][0]


@pytest.mark.parametrize("tamper", [
    lambda b: b["choices"].__setitem__(0, [1]),                  # a revealed choice changed
    lambda b: b["choices"].__setitem__(1, [0]),                  # blank made agree
    lambda b: b["choices"].__setitem__(2, [0]),                  # another option
    _other_randomness,
    _swap_contests,
    lambda b: b["choices"].__setitem__(2, [0, 2]),               # more than max
    lambda b: b["choices"].__setitem__(2, [7]),                  # no such option
    lambda b: b["randomness"][2].__setitem__(0, "00" * 32),      # r = 0
    lambda b: b["randomness"][2].__setitem__(0, "ff" * 32),      # r >= L
    lambda b: b.__setitem__("round", "another-round"),
    lambda b: b.__setitem__("fingerprint", "ab" * 32),
    lambda b: b["ciphertexts"][0][0].__setitem__("alpha", "00" * 32),   # not a valid point
    lambda b: b["ciphertexts"].append([]),                       # the manifest's shape
])
def test_a_tampered_audit_fails_check_19_only(rnd, tmp_path, tamper):
    evs = with_audits(rnd, 2)
    tamper(audit_of(evs, 1))
    report = verify(tmp_path, evs, rnd.server_key)
    assert failing(report) == {19}, report.lines()
    assert all(m.startswith("event ") for m in report.failures[19])


def test_a_changed_choice_is_named_by_its_contest(rnd, tmp_path):
    evs = with_audits(rnd, 1)
    audit_of(evs)["choices"][0] = [1]
    report = verify(tmp_path, evs, rnd.server_key)
    (message,) = report.failures[19]
    assert "contest a, ciphertext 0" in message


def test_an_audit_after_the_close_breaks_the_order(rnd, tmp_path):
    evs = with_audits(rnd, 1, at="tally")
    report = verify(tmp_path, evs, rnd.server_key)
    assert failing(report) == {2}, report.lines()


@pytest.mark.parametrize("edit", [
    lambda b: b.pop("choices"),
    lambda b: b.__setitem__("credential", "ab" * 32),            # no credential, ever
    lambda b: b["choices"].__setitem__(0, [True]),
    lambda b: b["randomness"][0].__setitem__(0, "AB" * 32),
])
def test_a_malformed_audit_body_fails_check_1(rnd, tmp_path, edit):
    evs = with_audits(rnd, 1)
    edit(audit_of(evs))
    report = verify(tmp_path, evs, rnd.server_key)
    assert 1 in failing(report), report.lines()
    assert not failing(report) & {3, 4, 5, 6, 7, 14, 15}


def test_simulate_puts_n_verifying_audits_on_the_board(tmp_path):
    path = tmp_path / "sim.zip"
    sim = simulate(ballots=3, units=2, trustees=3, threshold=2, out=path, workers=1, seed=9,
                   audits=4)
    assert sum(e["type"] == "audit" for e in sim.chain.events) == 4
    report = verify_record(path, workers=1)
    assert report.ok and report.ballots == 3, report.lines()


@pytest.mark.parametrize("edit", [
    lambda e: e.update(ballot_client=e["ballot_client"].upper()),
    lambda e: e.update(ballot_client=e["ballot_client"][:63]),
    lambda e: e.update(ballot_client=e["ballot_client"] + "0"),
    lambda e: e.update(ballot_client=None),
    lambda e: e.pop("ballot_client"),
])
def test_the_ballot_client_is_a_sha256_in_lowercase_hex(rnd, tmp_path, edit):
    """§5.3: ``ballot_client`` is 64 lowercase hex digits; anything else
    makes the election object invalid (check 6)."""
    report = _election_edit(rnd, tmp_path, edit)
    assert 6 in failing(report) and not failing(report) & {1, 2, 3, 4, 5, 7}, report.lines()
