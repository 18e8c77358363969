"""The route walk: every registered view carries exactly one policy
(``voting/web/security.py``), and each policy holds for every method.

Routes are discovered from ``app.url_map``, so every blueprint's routes are
covered, including ones added later. Requests carry a valid CSRF token, so
that what is observed is the policy, not Flask-WTF's 400.
"""

from __future__ import annotations

import itertools
import re
import uuid

import pytest

from voting.models import Role
from voting.web import security

POLICY_FILE = security.__file__
CHAIR, STAFF, TRUSTEE = (Role.CHAIR,), (Role.CHAIR, Role.AUDITOR), ("trustee",)
#: ``<converter(args):name>`` in a rule's pattern.
VARIABLE = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")


def dummies(converter: str | None, args: str | None) -> list:
    """Values the converter accepts (every one for ``any``); ids that exist nowhere."""
    if converter == "int":
        return [1]
    if converter == "float":
        return [1.0]
    if converter == "uuid":
        return [str(uuid.UUID(int=1))]
    if converter == "any":
        return [item.strip().strip("'\"") for item in args.split(",")]
    return ["x"]


def urls_of(rule) -> list[str]:
    names, options = [], []
    for match in VARIABLE.finditer(rule.rule):
        names.append(match["name"])
        options.append(dummies(match["converter"], match["args"]))
    urls = []
    for values in itertools.product(*options):
        built = rule.build(dict(zip(names, values, strict=True)), append_unknown=False)
        assert built is not None, f"cannot build {rule.rule}"
        urls.append(built[1])
    return urls


def walk(app):
    """(rule, method, url, view) for every route, method and ``any`` value,
    static files excepted."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for url in urls_of(rule):
                yield rule, method, url, app.view_functions[rule.endpoint]


def guard_layers(view) -> int:
    """How many of the policy decorators' wrappers enclose the view."""
    count, fn = 0, view
    while fn is not None:
        code = getattr(fn, "__code__", None)
        count += bool(code and code.co_filename == POLICY_FILE)
        fn = getattr(fn, "__wrapped__", None)
    return count


def roles(view):
    """None for a public view, else its roles (empty for a view without a
    policy, which the other walks then expect to be refused like any other)."""
    if getattr(view, "is_public", False):
        return None
    return tuple(getattr(view, "required_roles", ()))


def csrf_token(client) -> str:
    page = client.get("/auth/login").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page)[1]


def request(client, method: str, url: str, token: str):
    if method == "GET":
        return client.get(url)
    return client.open(url, method=method, data={"csrf_token": token},
                       headers={"X-CSRFToken": token})


@pytest.fixture
def app(app):
    # A view that crashes on a dummy id answers 500 instead of raising: the
    # walk judges the policy, and any 5xx still fails where it must not occur.
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def test_the_walk_finds_every_audience(app):
    endpoints = {rule.endpoint for rule, *_ in walk(app)}
    assert {"public.index", "auth.login", "chair.index", "chair.move",
            "chair.turnout"} <= endpoints


def test_every_view_has_exactly_one_policy(app):
    wrong = []
    for rule, _, _, view in walk(app):
        is_public = bool(getattr(view, "is_public", False))
        has_roles = hasattr(view, "required_roles")
        markers = guard_layers(view) + is_public
        if markers != 1 or is_public == has_roles:
            wrong.append(f"{rule.endpoint} ({rule.rule}): {markers} policies")
        elif has_roles and tuple(view.required_roles) not in (CHAIR, STAFF, TRUSTEE):
            wrong.append(f"{rule.endpoint}: unknown roles {view.required_roles}")
    assert not wrong, "\n".join(wrong)


def refused_anonymously(response, policy) -> bool:
    if policy in (CHAIR, STAFF) and response.status_code == 302:
        return "/auth/login" in response.location
    return response.status_code in (401, 403)


def test_anonymous_visitors_are_refused_everywhere_but_public_pages(app, client):
    token = csrf_token(client)
    wrong = []
    for _rule, method, url, view in walk(app):
        policy = roles(view)
        if policy is None:
            continue
        response = request(client, method, url, token)
        if not refused_anonymously(response, policy):
            wrong.append(f"{method} {url}: {response.status_code} {response.location or ''}")
    assert not wrong, "\n".join(wrong)


def test_an_auditor_reads_staff_pages_but_changes_nothing(app, auth, client):
    auth.login("auditor", Role.AUDITOR)
    token = csrf_token(client)
    wrong, checked = [], 0
    for _rule, method, url, view in walk(app):
        policy = roles(view)
        if policy is None:
            continue
        response = request(client, method, url, token)
        status, checked = response.status_code, checked + 1
        if policy != STAFF and status != 403:
            wrong.append(f"{method} {url} ({policy or 'no policy'}): {status}, expected 403")
        if policy == STAFF and refused_anonymously(response, STAFF):
            wrong.append(f"{method} {url} (staff): {status}, expected to pass the policy")
    assert checked and not wrong, "\n".join(wrong)


def test_a_chair_is_not_a_trustee(app, auth, client):
    auth.login()
    token = csrf_token(client)
    wrong = []
    for _rule, method, url, view in walk(app):
        if roles(view) == TRUSTEE:
            status = request(client, method, url, token).status_code
            if status != 403:
                wrong.append(f"{method} {url}: {status}, expected 403")
    assert not wrong, "\n".join(wrong)


def test_the_walk_would_catch_a_view_without_policy(app):
    """The checks above can fail: a bare view is reported."""
    @app.get("/__bare")
    def bare():
        return "open"

    @app.get("/__double")
    @security.chair_required
    @security.staff_required
    def double():
        return "?"

    reported = {rule.endpoint for rule, _, _, view in walk(app)
                if guard_layers(view) + bool(getattr(view, "is_public", False)) != 1}
    assert {"bare", "double"} <= reported
