"""Row locks that serialise writes to one aggregate (a round, a conference)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session


def lock_row(session: Session, model, row_id: int, column):
    """Start a write on one row: load it under a row lock, or None.

    PostgreSQL: ``SELECT ... FOR UPDATE`` (read committed: later statements
    see every write committed before the lock was granted). SQLite has one
    writer at a time and snapshot reads: the transaction must *begin* with
    the write, so a read-only transaction in progress is ended first and a
    no-op update of ``column`` takes the database's write lock (waiting up
    to busy_timeout).
    """
    if session.get_bind().dialect.name == "sqlite":
        if session.new or session.dirty or session.deleted or session.info.get("has_flushed"):
            raise RuntimeError("lock_row must start a write transaction")
        if session.in_transaction():
            session.rollback()
        session.execute(update(model).where(model.id == row_id).values({column: column}))
    # populate_existing: a row already in the session is refreshed from the
    # locked row, not served stale from the identity map.
    return session.execute(
        select(model).where(model.id == row_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
