"""The offline key ceremony and offline decryption through the CLI
(voting/cli/keys.py over voting/services/offline.py): deal on an
air-gapped machine, import the public half, decrypt a closed round's tally
with t share files, submit, publish, verify the record. The use cases
themselves are tested in tests/services/test_offline.py."""

from __future__ import annotations

import json
import re
import stat

import pytest

from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.codec import scalar_hex
from voting.crypto.verifier import verify_record
from voting.db import new_session
from voting.models import Conference
from voting.services import casting
from voting.services import rounds
from voting.services import tallying
from voting.services.board import export_record
from voting.services.elections import election_of
from voting.services.errors import Invalid
from voting.services.offline import open_share
from voting.services.offline import WrongPassphrase

from .factories import make_conference
from .factories import make_open_round

NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường"]
PASSPHRASES = {1: "một hai ba bốn năm sáu", 2: "second trustee passphrase",
               3: "ba con mèo trèo cây"}
#: choices of three ballots over three per-unit contests (agree = 0, disagree = 1)
CHOICES = [[[0], [0], [1]], [[0], [1], []], [[1], [0], [0]]]


def deal_offline(runner, out, passphrases=PASSPHRASES, extra_input=""):
    typed = extra_input + "".join(f"{p}\n{p}\n" for p in passphrases.values())
    args = ["voting", "deal-offline", "--threshold", "2", "--out", str(out)]
    for name in NAMES[:len(passphrases)]:
        args += ["--trustee", name]
    return runner.invoke(args=args, input=typed)


@pytest.fixture
def dealt(runner, tmp_path):
    out = tmp_path / "keys" / "CEREMONY"
    result = deal_offline(runner, out)
    assert result.exit_code == 0, result.output
    return out, result.output


def make_conf(app) -> int:
    with app.app_context():
        s = new_session(app)
        conference_id = make_conference(s).id
        s.close()
    return conference_id


def closed_round(app, conference_id: int) -> str:
    with app.app_context():
        s = new_session(app)
        rnd, tokens = make_open_round(s, s.get(Conference, conference_id),
                                      app.config["VOTING_KEYS_DIR"], cards=4)
        for token, choice in zip(tokens, CHOICES, strict=False):
            ballot = encrypt_ballot(election_of(rnd), choice,
                                    derive_credential(token, rnd.public_id))
            casting.cast_ballot(s, rnd, ballot)
        rounds.close_round(s, rnd)
        public_id = rnd.public_id
        s.close()
    return public_id


def test_deal_offline_writes_private_files_and_prints_no_share(dealt):
    out, output = dealt
    files = sorted(p.name for p in out.iterdir())
    assert files == ["public.json", "share-1.json", "share-2.json", "share-3.json"]
    for path in out.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    public = json.loads((out / "public.json").read_text(encoding="utf-8"))
    assert set(public) == {"threshold", "trustees", "dealers"}
    assert public["threshold"] == 2 and public["trustees"] == NAMES
    for index, passphrase in PASSPHRASES.items():
        text = (out / f"share-{index}.json").read_text(encoding="utf-8")
        share = scalar_hex(open_share(json.loads(text), passphrase))
        assert share not in output and share not in text
        assert passphrase not in output and passphrase not in text
        assert share not in (out / "public.json").read_text(encoding="utf-8")


def test_share_file_needs_its_passphrase(dealt):
    out, _ = dealt
    file = json.loads((out / "share-2.json").read_text(encoding="utf-8"))
    with pytest.raises(WrongPassphrase):
        open_share(file, PASSPHRASES[1])
    file["envelope"]["ciphertext"] = "00" + file["envelope"]["ciphertext"][2:]
    with pytest.raises(WrongPassphrase):
        open_share(file, PASSPHRASES[2])


def test_deal_offline_asks_again_for_a_short_passphrase(runner, tmp_path):
    result = deal_offline(runner, tmp_path / "c", extra_input="short\n")
    assert result.exit_code == 0, result.output
    assert "at least 12 characters" in result.output


def test_deal_offline_refuses_a_used_directory_and_bad_trustees(runner, dealt, tmp_path):
    out, _ = dealt
    assert deal_offline(runner, out).exit_code != 0
    result = runner.invoke(args=["voting", "deal-offline", "--threshold", "3", "--trustee", "A",
                                 "--trustee", "B", "--out", str(tmp_path / "d")])
    assert result.exit_code != 0 and not (tmp_path / "d").exists()


def test_import_keys_installs_the_public_material(app, runner, dealt):
    out, output = dealt
    conference_id = make_conf(app)
    result = runner.invoke(args=["voting", "import-keys", "--conference-id", str(conference_id),
                                 str(out / "public.json")])
    assert result.exit_code == 0, result.output
    with app.app_context():
        s = new_session(app)
        conference = s.get(Conference, conference_id)
        assert conference.public_key and conference.public_key in output
        assert (conference.trustee_count, conference.threshold) == (3, 2)
        assert [t.name for t in conference.trustees] == NAMES
        assert conference.key_ceremony == "dealer"
        assert all(t.enrolment_key is None and t.reveal_json is None
                   and re.fullmatch(r"[0-9a-f]{64}", t.invite_hash) for t in conference.trustees)
        for index in PASSPHRASES:
            file = json.loads((out / f"share-{index}.json").read_text(encoding="utf-8"))
            assert conference.trustees[index - 1].public_share == file["public_share"]
        s.close()
    again = runner.invoke(args=["voting", "import-keys", "--conference-id", str(conference_id),
                                str(out / "public.json")])
    assert again.exit_code != 0 and "already" in again.output


def test_import_keys_refuses_tampered_material(app, runner, dealt, tmp_path):
    out, _ = dealt
    public = json.loads((out / "public.json").read_text(encoding="utf-8"))
    proofs = public["dealers"][0]["proofs"]
    proofs[0], proofs[1] = proofs[1], proofs[0]
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(public), encoding="utf-8")
    conference_id = make_conf(app)
    result = runner.invoke(args=["voting", "import-keys", "--conference-id", str(conference_id),
                                 str(tampered)])
    assert result.exit_code != 0 and "does not verify" in result.output
    with app.app_context():
        s = new_session(app)
        conference = s.get(Conference, conference_id)
        assert not conference.has_key and conference.trustees == []
        s.close()


@pytest.mark.parametrize("threshold", [True, False, 2**53 + 1, -(2**53) - 1, 2.0])
def test_import_keys_refuses_a_threshold_that_is_not_an_exact_integer(app, runner, dealt,
                                                                      tmp_path, threshold):
    out, _ = dealt
    public = json.loads((out / "public.json").read_text(encoding="utf-8"))
    bad = tmp_path / "public.json"
    bad.write_text(json.dumps({**public, "threshold": threshold}), encoding="utf-8")
    conference_id = make_conf(app)
    result = runner.invoke(args=["voting", "import-keys", "--conference-id", str(conference_id),
                                 str(bad)])
    assert result.exit_code != 0
    assert ("need 1 ≤ t ≤ n ≤ 32" if type(threshold) is bool else "cannot read") in result.output
    with app.app_context():
        s = new_session(app)
        conference = s.get(Conference, conference_id)
        assert not conference.has_key and conference.trustees == []
        s.close()


def import_and_close(app, runner, out) -> tuple[int, str]:
    conference_id = make_conf(app)
    result = runner.invoke(args=["voting", "import-keys", "--conference-id", str(conference_id),
                                 str(out / "public.json")])
    assert result.exit_code == 0, result.output
    return conference_id, closed_round(app, conference_id)


def decrypt(runner, out, tally, index: int, passphrase: str, dest):
    return runner.invoke(args=["voting", "decrypt-offline", "--share",
                               str(out / f"share-{index}.json"), "--tally", str(tally),
                               "--out", str(dest)], input=f"{passphrase}\n")


def test_full_offline_ceremony_verifies(app, runner, dealt, tmp_path):
    out, _ = dealt
    conference_id, public_id = import_and_close(app, runner, out)
    tally = tmp_path / "tally.json"
    result = runner.invoke(args=["voting", "export-tally", "--round", public_id,
                                 "--out", str(tally)])
    assert result.exit_code == 0, result.output
    for index in (3, 1):
        partial = tmp_path / f"partial-{index}.json"
        result = decrypt(runner, out, tally, index, PASSPHRASES[index], partial)
        assert result.exit_code == 0, result.output
        result = runner.invoke(args=["voting", "submit-partial", "--round", public_id,
                                     str(partial)])
        assert result.exit_code == 0, result.output
    with app.app_context():
        s = new_session(app)
        rnd = rounds.get_round_by_public_id(s, public_id)
        body = tallying.publish_result(s, rnd)
        record = tmp_path / "record.zip"
        record.write_bytes(export_record(s, rnd, app.config["VOTING_KEYS_DIR"]))
        s.close()
    assert body["trustees"] == [1, 3]
    assert body["counts"] == [[2, 1], [2, 1], [1, 1]]
    report = verify_record(record, workers=1)
    assert report.ok, "\n".join(report.lines())


def test_offline_decryption_refuses_a_wrong_passphrase(app, runner, dealt, tmp_path):
    out, _ = dealt
    _, public_id = import_and_close(app, runner, out)
    tally = tmp_path / "tally.json"
    runner.invoke(args=["voting", "export-tally", "--round", public_id, "--out", str(tally)])
    partial = tmp_path / "partial.json"
    result = decrypt(runner, out, tally, 2, PASSPHRASES[1], partial)
    assert result.exit_code != 0 and "wrong passphrase" in result.output
    assert not partial.exists()


def test_offline_decryption_refuses_a_share_of_another_key(app, runner, dealt, tmp_path):
    out, _ = dealt
    _, public_id = import_and_close(app, runner, out)
    tally = tmp_path / "tally.json"
    runner.invoke(args=["voting", "export-tally", "--round", public_id, "--out", str(tally)])
    other = tmp_path / "other"
    assert deal_offline(runner, other).exit_code == 0
    result = decrypt(runner, other, tally, 1, PASSPHRASES[1], tmp_path / "p.json")
    assert result.exit_code != 0 and "does not belong" in result.output


@pytest.mark.parametrize("index", [True, False, 2**53 + 1])
def test_offline_decryption_refuses_a_share_index_that_is_not_an_exact_integer(
        app, runner, dealt, tmp_path, index):
    """Share file 1 with its index written as true (which Python holds
    equal to 1): refused before any passphrase is asked, nothing written."""
    out, _ = dealt
    _, public_id = import_and_close(app, runner, out)
    tally = tmp_path / "tally.json"
    runner.invoke(args=["voting", "export-tally", "--round", public_id, "--out", str(tally)])
    share = json.loads((out / "share-1.json").read_text(encoding="utf-8"))
    bad = tmp_path / "bad-share"
    bad.mkdir()
    (bad / "share-1.json").write_text(json.dumps({**share, "index": index}), encoding="utf-8")
    partial = tmp_path / "partial.json"
    result = decrypt(runner, bad, tally, 1, PASSPHRASES[1], partial)
    assert result.exit_code != 0 and not partial.exists()
    assert ("does not belong" if type(index) is bool else "cannot read") in result.output
    assert "Passphrase" not in result.output


@pytest.mark.parametrize(("name", "value"), [("N", True), ("r", True), ("p", False),
                                             ("length", 32.0), ("N", 2**53 + 1)])
def test_open_share_refuses_kdf_parameters_that_are_not_exact_integers(dealt, name, value):
    out, _ = dealt
    share = json.loads((out / "share-1.json").read_text(encoding="utf-8"))
    share["kdf"][name] = value
    with pytest.raises(Invalid, match="unexpected key-derivation parameters"):
        open_share(share, PASSPHRASES[1])


@pytest.mark.parametrize("index", [True, False, 2**53 + 1])
def test_submit_partial_refuses_a_trustee_that_is_not_an_exact_integer(app, runner, dealt,
                                                                       tmp_path, index):
    out, _ = dealt
    _, public_id = import_and_close(app, runner, out)
    tally = tmp_path / "tally.json"
    runner.invoke(args=["voting", "export-tally", "--round", public_id, "--out", str(tally)])
    partial = tmp_path / "partial.json"
    assert decrypt(runner, out, tally, 1, PASSPHRASES[1], partial).exit_code == 0
    obj = json.loads(partial.read_text(encoding="utf-8"))
    partial.write_text(json.dumps({**obj, "trustee": index}), encoding="utf-8")
    result = runner.invoke(args=["voting", "submit-partial", "--round", public_id, str(partial)])
    assert result.exit_code != 0
    assert ("integer from 1 to 32" if type(index) is bool else "cannot read") in result.output
    with app.app_context():
        s = new_session(app)
        assert tallying.submitted_trustees(s, rounds.get_round_by_public_id(s, public_id)) == []
        s.close()
    partial.write_text(json.dumps(obj), encoding="utf-8")  # as written: accepted
    result = runner.invoke(args=["voting", "submit-partial", "--round", public_id, str(partial)])
    assert result.exit_code == 0, result.output


def test_submit_partial_refuses_an_altered_partial(app, runner, dealt, tmp_path):
    out, _ = dealt
    _, public_id = import_and_close(app, runner, out)
    tally = tmp_path / "tally.json"
    runner.invoke(args=["voting", "export-tally", "--round", public_id, "--out", str(tally)])
    partial = tmp_path / "partial.json"
    assert decrypt(runner, out, tally, 2, PASSPHRASES[2], partial).exit_code == 0
    obj = json.loads(partial.read_text(encoding="utf-8"))
    obj["shares"][0][0]["d"], obj["shares"][1][0]["d"] = (obj["shares"][1][0]["d"],
                                                          obj["shares"][0][0]["d"])
    partial.write_text(json.dumps(obj), encoding="utf-8")
    result = runner.invoke(args=["voting", "submit-partial", "--round", public_id, str(partial)])
    assert result.exit_code != 0 and "does not verify" in result.output
    with app.app_context():
        s = new_session(app)
        assert tallying.submitted_trustees(s, rounds.get_round_by_public_id(s, public_id)) == []
        s.close()


def test_export_tally_refuses_an_open_or_unknown_round(app, runner, dealt, tmp_path):
    out, _ = dealt
    conference_id = make_conf(app)
    result = runner.invoke(args=["voting", "import-keys", "--conference-id", str(conference_id),
                                 str(out / "public.json")])
    assert result.exit_code == 0, result.output
    with app.app_context():
        s = new_session(app)
        rnd, _ = make_open_round(s, s.get(Conference, conference_id),
                                 app.config["VOTING_KEYS_DIR"])
        public_id = rnd.public_id
        s.close()
    for round_id, message in ((public_id, "not waiting for decryption"),
                              ("r-missing", "no such round")):
        result = runner.invoke(args=["voting", "export-tally", "--round", round_id,
                                     "--out", str(tmp_path / "t.json")])
        assert result.exit_code != 0 and message in result.output
        assert not (tmp_path / "t.json").exists()
