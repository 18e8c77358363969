"""The election of one round: manifest, keys, trustees, credentials, and its
fingerprint (PROTOCOL.md §5.3).

The election object is frozen when the round opens and travels in the
board's ``setup`` event. Its fingerprint binds every ballot and proof.
"""

from __future__ import annotations

from dataclasses import dataclass

from .codec import expect_int
from .codec import expect_list
from .codec import expect_object
from .codec import expect_str
from .codec import parse_point
from .codec import point_hex
from .errors import InvalidStructure
from .hashing import canonical_json
from .hashing import hash32
from .keys import joint_public_key
from .keys import MAX_TRUSTEES
from .keys import parse_dealings
from .keys import public_share
from .manifest import Manifest
from .manifest import PACKED_LIMIT
from .manifest import parse_manifest

ELECTION_KEYS = {"manifest", "ceremony", "public_key", "threshold", "trustees", "dealers",
                 "credentials", "server_key", "ballot_client"}

#: The ceremonies that can make a key (§4.1): every trustee deals in their
#: browser, or one dealer on an air-gapped machine.
DISTRIBUTED, DEALER = "distributed", "dealer"
CEREMONIES = (DISTRIBUTED, DEALER)


@dataclass(frozen=True)
class Trustee:
    index: int
    name: str
    public_share: bytes


@dataclass(frozen=True)
class Election:
    raw: dict
    fingerprint: bytes
    manifest: Manifest
    ceremony: str
    public_key: bytes
    threshold: int
    trustees: tuple[Trustee, ...]
    dealings: list
    credentials: frozenset[bytes]
    credential_list: tuple[bytes, ...]
    server_key: bytes
    #: SHA-256 (hex) of the ballot-client bundle served for this round (§5.3).
    ballot_client: str

    @property
    def radix(self) -> int:
        """M: the packing radix, one more than the number of credentials (§6.3)."""
        return len(self.credential_list) + 1

    def trustee(self, index: int) -> Trustee | None:
        for t in self.trustees:
            if type(index) is int and t.index == index:
                return t
        return None


def election_object(manifest: dict, ceremony: str, threshold: int, dealers: list[dict],
                    trustee_names: list[str], credentials, server_key: str,
                    ballot_client: str) -> dict:
    """Assemble a round's election object (§5.3) from its parts: the joint
    key and each trustee's public share follow from the dealers'
    commitments, and the credentials (hex) are sorted."""
    dealings = parse_dealings(dealers, threshold)
    return {
        "manifest": manifest,
        "ceremony": ceremony,
        "public_key": point_hex(joint_public_key(dealings)),
        "threshold": threshold,
        "trustees": [{"index": i, "name": name,
                      "public_share": point_hex(public_share(dealings, i))}
                     for i, name in enumerate(trustee_names, start=1)],
        "dealers": dealers,
        "credentials": sorted(credentials),
        "server_key": server_key,
        "ballot_client": ballot_client,
    }


def fingerprint(election_obj: dict) -> bytes:
    """H32("fingerprint", canonical JSON of the election object)."""
    return hash32("fingerprint", canonical_json(election_obj))


def parse_credentials(obj, manifest: Manifest) -> tuple[bytes, ...]:
    """Validate the credential list: valid points, sorted, distinct, and few
    enough for the manifest's packed contests (§5.3, §6.3)."""
    credential_list = tuple(parse_point(x) for x in expect_list(obj, "credentials"))
    if not credential_list:
        raise InvalidStructure("at least one credential")
    if any(a >= b for a, b in zip(credential_list, credential_list[1:], strict=False)):
        raise InvalidStructure("credentials must be sorted and distinct")
    radix = len(credential_list) + 1
    for c in manifest.contests:
        if c.encoding == "packed" and radix ** len(c.options) >= PACKED_LIMIT:
            raise InvalidStructure(f"contest {c.id}: too many credentials to pack")
    return credential_list


def parse_election(obj) -> Election:
    """Validate the election object's structure and encodings.

    Points are validated; the key material's consistency (proofs, shares)
    is checked by the verifier (PROTOCOL.md §14, check 6), not here.

    :raises CryptoError: on any malformed part.
    """
    expect_object(obj, ELECTION_KEYS, "election")
    manifest = parse_manifest(obj["manifest"])
    threshold = expect_int(obj["threshold"], "threshold", 1, MAX_TRUSTEES)
    trustees = []
    for i, t in enumerate(expect_list(obj["trustees"], "trustees")):
        expect_object(t, {"index", "name", "public_share"}, f"trustee {i}")
        trustees.append(Trustee(expect_int(t["index"], "trustee index", i + 1, i + 1),
                                expect_str(t["name"], "trustee name", 200),
                                parse_point(t["public_share"])))
    if not threshold <= len(trustees) <= MAX_TRUSTEES:
        raise InvalidStructure("need threshold <= trustees <= 32")
    ceremony = obj["ceremony"]
    if ceremony not in CEREMONIES or type(ceremony) is not str:
        raise InvalidStructure('ceremony must be "distributed" or "dealer"')
    dealings = parse_dealings(obj["dealers"], threshold)
    if len(dealings) != (len(trustees) if ceremony == DISTRIBUTED else 1):
        raise InvalidStructure(f"a {ceremony} key has "
                               + ("one dealer per trustee" if ceremony == DISTRIBUTED
                                  else "exactly one dealer"))
    credential_list = parse_credentials(obj["credentials"], manifest)
    ballot_client = obj["ballot_client"]
    if (not isinstance(ballot_client, str) or len(ballot_client) != 64
            or not set(ballot_client) <= set("0123456789abcdef")):
        raise InvalidStructure("ballot_client must be a SHA-256 in 64 lowercase hex digits")
    return Election(
        raw=obj,
        fingerprint=fingerprint(obj),
        manifest=manifest,
        ceremony=ceremony,
        public_key=parse_point(obj["public_key"]),
        threshold=threshold,
        trustees=tuple(trustees),
        dealings=dealings,
        credentials=frozenset(credential_list),
        credential_list=credential_list,
        server_key=parse_point(obj["server_key"]),
        ballot_client=ballot_client,
    )
