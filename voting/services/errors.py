"""Domain errors, mapped at the edge: flash messages and 4xx pages in the
web views, JSON errors in the API, ``click.ClickException`` in the CLI."""

from __future__ import annotations

# The base class and the state machine's error live below both the models
# and the services (voting/errors.py); re-exported here for the services.
from ..errors import DomainError as DomainError
from ..errors import IllegalTransition as IllegalTransition


class NotFound(DomainError):
    """Not found."""

    code, status = "not_found", 404


class Invalid(DomainError):
    """The input is not valid."""

    code, status = "invalid", 400


class KeyNotReady(DomainError):
    """The conference's key ceremony is not complete."""

    code, status = "key_not_ready", 409


class CeremonyPhase(DomainError):
    """The key ceremony is not at the step this post belongs to."""

    code, status = "ceremony_phase", 409


class BasesInconsistent(DomainError):
    """The check-in figures cannot be frozen as the round's bases."""

    code, status = "bases_inconsistent", 409

    #: Why, by the first inequality of cast ≤ issued ≤ present ≤ members
    #: (PROTOCOL §9.3, §14 check 14) that the figures break.
    MESSAGES = {
        "cast_exceeds_issued": "more ballots were cast ({cast}) than cards were handed out "
                               "at check-in ({issued}): correct check-in before closing",
        "issued_exceeds_present": "more delegates received a card ({issued}) than are marked "
                                  "present ({present}): correct check-in before closing",
        "present_exceeds_members": "more delegates are marked present ({present}) than are "
                                   "entitled to vote ({members}): correct the delegate list "
                                   "before closing",
    }

    def __init__(self, problem: str, *, members: int, present: int, issued: int,
                 cast: int) -> None:
        figures = {"members": members, "present": present, "issued": issued, "cast": cast}
        super().__init__(self.MESSAGES[problem].format(**figures), problem=problem, **figures)


class RoundNotOpen(DomainError):
    """The round is not open for voting."""

    code, status = "round_not_open", 409


class UnknownCredential(DomainError):
    """This card is not valid for this round."""

    code, status = "unknown_credential", 403


class RevokedCredential(DomainError):
    """This card has been revoked."""

    code, status = "credential_revoked", 403


class AlreadyVoted(DomainError):
    """This card has already voted in this round."""

    code, status = "already_voted", 409


class CopiedCiphertext(DomainError):
    """The ballot re-uses a ciphertext already on the board."""

    code, status = "copied_ciphertext", 422


class InvalidBallot(DomainError):
    """The ballot does not verify."""

    code, status = "invalid_ballot", 422

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
