"""The parsed election object of an open or closed round.

Parsing validates every credential (tens of milliseconds for a large
round), so parsed elections are cached per process by fingerprint. The
cache holds immutable data derived from the database, never state: any
worker rebuilds the same value from the same row.
"""

from __future__ import annotations

import json
from functools import lru_cache

from ..crypto.election import Election
from ..crypto.election import parse_election
from ..models import Round
from .errors import RoundNotOpen


@lru_cache(maxsize=32)
def _parse(fingerprint: str, election_json: str) -> Election:
    election = parse_election(json.loads(election_json))
    if election.fingerprint.hex() != fingerprint:
        raise RuntimeError("stored fingerprint does not match the stored election")
    return election


def election_of(rnd: Round) -> Election:
    """:raises RoundNotOpen: the round was never opened."""
    if rnd.election_json is None or rnd.fingerprint is None:
        raise RoundNotOpen("this round has not been opened")
    return _parse(rnd.fingerprint, rnd.election_json)
