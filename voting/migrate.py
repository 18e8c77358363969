"""Alembic, driven from the application's configuration.

The migration scripts live in ``migrations/``; ``upgrade`` and
``downgrade`` run them against the app's database. ``make run`` and the
``init-db`` command upgrade to the latest schema.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from flask import Flask

from . import ROOT
from .db import database_url


def alembic_config(app: Flask) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", database_url(app).replace("%", "%%"))
    return cfg


def upgrade(app: Flask, revision: str = "head") -> None:
    command.upgrade(alembic_config(app), revision)


def downgrade(app: Flask, revision: str) -> None:
    command.downgrade(alembic_config(app), revision)
