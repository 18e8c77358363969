"""Errors below every layer: the base of all domain errors, and the round
state machine's refusal, which ``models/round.py`` raises.

Models must not import from services, so these two live here;
``services/errors.py`` re-exports them beside the services' own errors,
and the web layer maps every :class:`DomainError` at the edge.
"""

from __future__ import annotations


class DomainError(Exception):
    #: Stable machine-readable code (the cast API returns it).
    code = "error"
    #: HTTP status the web layer uses.
    status = 400

    def __init__(self, message: str = "", **details) -> None:
        super().__init__(message or self.__class__.__doc__ or self.code)
        self.message = message or (self.__class__.__doc__ or self.code).strip()
        self.details = details


class IllegalTransition(DomainError):
    """This round cannot make that move."""

    code, status = "illegal_transition", 409

    def __init__(self, source: str, target: str) -> None:
        super().__init__(f"a round cannot go from {source} to {target}",
                         source=source, target=target)
