"""Errors raised by the crypto core; the web and CLI layers map them."""


class CryptoError(Exception):
    """Base class: something received does not verify or does not parse."""

    #: Stable machine-readable code, used by the cast API's JSON errors.
    code = "invalid"


class InvalidEncoding(CryptoError):
    """A value is not the canonical encoding the protocol requires."""

    code = "invalid_encoding"


class InvalidStructure(CryptoError):
    """A JSON object has missing, extra or mistyped fields."""

    code = "invalid_structure"


class InvalidProof(CryptoError):
    """A zero-knowledge proof or signature does not verify."""

    code = "invalid_proof"


class WrongElection(CryptoError):
    """A ballot names another round or carries another fingerprint."""

    code = "wrong_election"
