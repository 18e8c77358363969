"""SQLAlchemy 2.0 typed models; invariants are also database constraints.

Secrecy by table design: ``Delegate`` says who is present and received *a*
card; ``Card``/``Credential`` know only serials and public credentials;
``Ballot`` knows only a credential. No table links a delegate to a card, and
ballots carry no timestamp.
"""

from .audit import AuditEvent
from .ballot import Ballot
from .ballot import CiphertextAlpha
from .base import Base
from .board import BoardEvent
from .card import Card
from .card import Credential
from .conference import Conference
from .conference import Delegate
from .conference import Trustee
from .conference import Unit
from .round import Round
from .round import RoundKind
from .round import RoundState
from .round import RoundUnit
from .user import Membership
from .user import Role
from .user import User

__all__ = [
    "AuditEvent", "Ballot", "Base", "BoardEvent", "Card", "CiphertextAlpha", "Conference",
    "Credential",
    "Delegate", "Membership", "Role", "Round", "RoundKind", "RoundState", "RoundUnit", "Trustee",
    "Unit",
    "User",
]
