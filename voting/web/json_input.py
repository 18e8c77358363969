"""Reading a JSON request body strictly (PROTOCOL §3.2), for the views
that take JSON objects: the trustee's pages and the phone's status query."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from ..services import exact
from ..services.errors import Invalid


def json_object() -> dict:
    """The request's JSON object, parsed strictly: no floats, NaN or
    repeated keys, and every integer within ±2^53.

    :raises Invalid: another content type (a cross-site page cannot send
        application/json without a preflight), bad JSON, or not an object.
    """
    if not request.is_json:
        raise Invalid(_("Expected a JSON object."))
    try:
        body = exact.loads(request.get_data(cache=True))
    except (ValueError, RecursionError) as exc:
        raise Invalid(_("The request is not valid JSON: numbers must be integers within "
                        "±2^53 and keys must not repeat.")) from exc
    if not isinstance(body, dict):
        raise Invalid(_("Expected a JSON object."))
    return body
