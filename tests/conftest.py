"""Shared test policy. Layer-specific fixtures live in each folder's conftest."""

from __future__ import annotations

import os

import pytest

#: CI installs every prerequisite (Node, the bundle, Chromium, PostgreSQL):
#: there, a test that would skip for a missing one fails instead.
IN_CI = bool(os.environ.get("CI"))


def skip_unless(condition: bool, reason: str):
    """``skipif(not condition)`` on a developer's machine; in CI the test
    runs regardless, so a missing prerequisite fails loudly."""
    return pytest.mark.skipif(not condition and not IN_CI, reason=reason)
