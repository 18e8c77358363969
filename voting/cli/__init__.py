"""Operator commands: ``flask --app wsgi voting COMMAND``.

Each area's commands live in a module of this package; they call the same
services as the views and turn domain errors into ``ClickException``.
"""

from __future__ import annotations

from flask import Flask
from flask.cli import AppGroup

voting_cli = AppGroup("voting", help="Operate the voting server.")


def operator_session():
    """The app context's session, acting as the operator at the console
    (the audit trail names the command's OS user, role ``operator``)."""
    import getpass

    from ..db import get_session
    from ..services import audit_trail

    session = get_session()
    audit_trail.act_as(session, audit_trail.Actor("cli", None, getpass.getuser(), "operator"))
    return session


def init_app(app: Flask) -> None:
    from . import accounts  # noqa: F401  (each module registers its commands)
    from . import backup  # noqa: F401
    from . import cards  # noqa: F401
    from . import database  # noqa: F401
    from . import keys  # noqa: F401
    from . import record_key  # noqa: F401
    from . import rounds  # noqa: F401

    app.cli.add_command(voting_cli)
