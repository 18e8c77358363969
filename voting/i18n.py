"""Vietnamese by default, English available (Flask-Babel).

The language comes from ``?lang=`` (remembered in the session), else the
session, else Vietnamese. Browsers' Accept-Language is deliberately not
used: a conference hall's phones are set to many languages, and the
conference's language is Vietnamese.
"""

from __future__ import annotations

from flask import current_app
from flask import Flask
from flask import request
from flask import session
from flask_babel import Babel

from . import ROOT


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    wanted = request.args.get("lang")
    if wanted in languages:
        session["lang"] = wanted
        return wanted
    return session.get("lang") if session.get("lang") in languages else languages[0]


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale,
          default_translation_directories=str(ROOT / "voting" / "translations"))

    @app.context_processor
    def languages():
        return {"current_lang": select_locale(), "languages": app.config["LANGUAGES"]}
