"""Domain errors, mapped at the edge: flash messages and 4xx pages in the
web views, JSON errors in the API, ``click.ClickException`` in the CLI."""

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


class NotFound(DomainError):
    """Not found."""

    code, status = "not_found", 404


class Invalid(DomainError):
    """The input is not valid."""

    code, status = "invalid", 400


class IllegalTransition(DomainError):
    """This round cannot make that move."""

    code, status = "illegal_transition", 409

    def __init__(self, source: str, target: str) -> None:
        super().__init__(f"a round cannot go from {source} to {target}",
                         source=source, target=target)


class KeyNotReady(DomainError):
    """The conference's key ceremony is not complete."""

    code, status = "key_not_ready", 409


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
