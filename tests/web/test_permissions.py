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
CHAIR, SECRETARY = (Role.CHAIR,), (Role.CHAIR, Role.SECRETARY)
STAFF, TRUSTEE, ADMIN = (Role.CHAIR, Role.SECRETARY, Role.AUDITOR), ("trustee",), (Role.ADMIN,)
POLICIES = (CHAIR, SECRETARY, STAFF, TRUSTEE, ADMIN)
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
        elif has_roles and tuple(view.required_roles) not in POLICIES:
            wrong.append(f"{rule.endpoint}: unknown roles {view.required_roles}")
    assert not wrong, "\n".join(wrong)


def refused_anonymously(response, policy) -> bool:
    if policy in (CHAIR, SECRETARY, STAFF, ADMIN) and response.status_code == 302:
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


#: Accounts of the role matrix: (username, own role, membership in A, in B).
ACCOUNTS = (
    ("admin", Role.ADMIN, None, None),
    ("owner-a", Role.CHAIR, Role.CHAIR, None),
    ("secretary-a", Role.SECRETARY, Role.SECRETARY, None),
    ("auditor-a", Role.SECRETARY, Role.AUDITOR, None),
    ("observer", Role.AUDITOR, None, None),
    ("owner-b", Role.CHAIR, None, Role.CHAIR),
)
#: The role each account has in A and in B (``memberships.role_in``).
EXPECTED_ROLE = {
    "admin": (Role.CHAIR, Role.CHAIR), "owner-a": (Role.CHAIR, None),
    "secretary-a": (Role.SECRETARY, None), "auditor-a": (Role.AUDITOR, None),
    "observer": (Role.AUDITOR, Role.AUDITOR), "owner-b": (None, Role.CHAIR),
}
#: Who passes a route about no conference (the list, creating one).
GLOBAL_ROLES = {CHAIR: (Role.ADMIN, Role.CHAIR), SECRETARY: (Role.ADMIN, Role.CHAIR),
                STAFF: tuple(Role), ADMIN: (Role.ADMIN,)}


def world(app) -> dict[str, dict[str, int]]:
    """Conferences A and B, each with a round and a delegate; the accounts
    of ``ACCOUNTS`` with their memberships. Returns the ids for each."""
    from voting.db import new_session
    from voting.models import Membership
    from voting.services import accounts
    from voting.services import rounds

    from ..conftest import PASSWORD
    from ..factories import make_conference

    ids = {}
    with app.app_context():
        s = new_session(app)
        for name in ("A", "B"):
            conference = make_conference(s, units=2, delegates=1)
            rnd = rounds.create_round(s, conference, "advanced", f"Vòng {name}")
            ids[name] = {"conference_id": conference.id, "round_id": rnd.id,
                         "delegate_id": conference.delegates[0].id}
        # Account 1, which the walk's dummy ids name: the administration
        # routes act on it, never on the account walking.
        accounts.create_user(s, "target", "target", PASSWORD, Role.SECRETARY)
        for username, role, in_a, in_b in ACCOUNTS:
            user = accounts.create_user(s, username, username, PASSWORD, role)
            for place, member in (("A", in_a), ("B", in_b)):
                if member is not None:
                    s.add(Membership(conference_id=ids[place]["conference_id"],
                                     user_id=user.id, role=member))
        s.commit()
        s.close()
    return ids


def conference_urls(rule, ids: dict[str, int]) -> list[str] | None:
    """The rule's URLs inside one conference (its ids for the conference,
    round and delegate variables), or None for a rule about no conference."""
    names, options = [], []
    for match in VARIABLE.finditer(rule.rule):
        names.append(match["name"])
        options.append([ids[match["name"]]] if match["name"] in ids
                       else dummies(match["converter"], match["args"]))
    if not {"conference_id", "round_id"} & set(names):
        return None
    return [rule.build(dict(zip(names, values, strict=True)), append_unknown=False)[1]
            for values in itertools.product(*options)]


def passed_policy(response) -> bool:
    return response.status_code != 403 and not (
        response.status_code == 302 and "/auth/login" in response.location)


def test_every_role_in_every_route_of_its_own_and_a_foreign_conference(app, client):
    """Each account of ``ACCOUNTS`` on every guarded route, in conference A
    and in conference B: it passes exactly where its role there is one the
    route's policy allows, and is refused with 403 everywhere else."""
    from ..conftest import PASSWORD

    ids = world(app)
    wrong, checked = [], 0
    rules, seen = [], set()
    for rule, method, _url, view in walk(app):
        if roles(view) not in (None, TRUSTEE) and (rule.rule, method) not in seen:
            seen.add((rule.rule, method))
            rules.append((rule, method, view))
    for username, own_role, _in_a, _in_b in ACCOUNTS:
        client.post("/auth/logout", data={"csrf_token": csrf_token(client)})
        client.post("/auth/login", data={"username": username, "password": PASSWORD,
                                         "csrf_token": csrf_token(client)})
        token = csrf_token(client)
        for rule, method, view in rules:
            policy = roles(view)
            for place, role in zip("AB", EXPECTED_ROLE[username], strict=True):
                urls = conference_urls(rule, ids[place])
                allowed = (role in policy) if urls is not None else own_role in GLOBAL_ROLES[policy]
                if policy == ADMIN:
                    allowed = own_role == Role.ADMIN
                for url in urls if urls is not None else ([] if place == "B" else
                                                          urls_of(rule)):
                    response = request(client, method, url, token)
                    checked += 1
                    if passed_policy(response) != allowed:
                        wrong.append(f"{username} {method} {url} in {place}: "
                                     f"{response.status_code}, expected "
                                     f"{'to pass' if allowed else 403}")
    assert checked > 500 and not wrong, "\n".join(wrong)


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
