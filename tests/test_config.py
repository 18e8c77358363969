"""config.py: the public URL follows HOST and PORT (``PORT=8000 make run``)
unless VOTING_PUBLIC_URL is set, and every absolute link uses it."""

from __future__ import annotations

import logging

import pytest

import config


@pytest.fixture
def env(monkeypatch):
    for name in ("VOTING_PUBLIC_URL", "HOST", "PORT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize(("host", "port", "url"), [
    (None, None, "http://127.0.0.1:5000"),
    (None, "8000", "http://127.0.0.1:8000"),
    ("192.168.1.10", "8000", "http://192.168.1.10:8000"),
    ("vote.lan", None, "http://vote.lan:5000"),
    ("::1", "8000", "http://[::1]:8000"),
    ("", "", "http://127.0.0.1:5000"),
])
def test_public_url_from_host_and_port(env, caplog, host, port, url):
    if host is not None:
        env.setenv("HOST", host)
    if port is not None:
        env.setenv("PORT", port)
    with caplog.at_level(logging.WARNING, logger="voting.config"):
        made = config.DevelopmentConfig()
    assert made.VOTING_PUBLIC_URL == url
    assert made.SESSION_COOKIE_SECURE is False
    assert caplog.records == []


@pytest.mark.parametrize(("host", "url"), [("0.0.0.0", "http://0.0.0.0:8000"),
                                           ("::", "http://[::]:8000")])
def test_every_interface_host_is_kept_with_a_warning(env, caplog, host, url):
    env.setenv("HOST", host)
    env.setenv("PORT", "8000")
    with caplog.at_level(logging.WARNING, logger="voting.config"):
        made = config.DevelopmentConfig()
    assert made.VOTING_PUBLIC_URL == url
    assert len(caplog.records) == 1
    assert "set VOTING_PUBLIC_URL" in caplog.text and f"HOST={host} " in caplog.text


def test_an_explicit_public_url_wins(env, caplog):
    env.setenv("HOST", "0.0.0.0")
    env.setenv("PORT", "8000")
    env.setenv("VOTING_PUBLIC_URL", "https://vote.lan")
    with caplog.at_level(logging.WARNING, logger="voting.config"):
        made = config.DevelopmentConfig()
    assert made.VOTING_PUBLIC_URL == "https://vote.lan"
    assert made.SESSION_COOKIE_SECURE is True
    assert caplog.records == []


def test_the_app_and_its_links_use_it(env, tmp_path):
    """``PORT=8000 make run``: the board QR code, an invitation link and the
    card sheet all point to port 8000, not 5000."""
    from voting import create_app

    env.setenv("PORT", "8000")
    app = create_app({"TESTING": True, "VOTING_DATABASE_URL": f"sqlite:///{tmp_path}/v.db",
                      "VOTING_KEYS_DIR": str(tmp_path)})
    assert app.config["VOTING_PUBLIC_URL"] == "http://127.0.0.1:8000"
    with app.app_context():
        from voting.services import cardsheet
        from voting.services.cards import encode_token
        from voting.services.cards import IssuedCard

        card = IssuedCard(serial=1, token_text=encode_token(bytes(16)), is_spare=False)
        html = cardsheet.render_sheet([card], conference_name="C", round_titles=["R"],
                                      public_url=app.config["VOTING_PUBLIC_URL"])
    assert "http://127.0.0.1:8000/vote" in html and ":5000" not in html
