"""Account administration (administrators only): create an account, reset
its password, disable or enable it, change its role.

A new or reset password is shown once, in the answer to the POST that made
it (never in a flash message, which would travel in the session cookie,
nor in a URL); only its Argon2id hash is stored.
"""

from __future__ import annotations

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice
from wtforms import SelectField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Length

from ..db import get_session
from ..models import Role
from ..services import accounts
from ..services.errors import DomainError
from . import vocabulary
from .forms import EmptyForm
from .security import admin_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


ROLE_CHOICES = [SelectChoice(role.value, vocabulary.ROLE_LABELS[role.value]) for role in Role]


class AccountForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=120)])
    display_name = StringField(_l("Full name"), validators=[Length(max=200)])
    role = SelectField(_l("Account role"), choices=ROLE_CHOICES)


class RoleForm(FlaskForm):
    role = SelectField(_l("Account role"), choices=ROLE_CHOICES)


def _page(form: AccountForm | None = None, shown: tuple[str, str] | None = None,
          status: int = 200):
    """The accounts page; ``shown`` is (username, password) to show once."""
    return render_template(
        "admin/users.html", users=accounts.list_users(get_session()),
        form=form or AccountForm(formdata=None, role=Role.SECRETARY.value),
        role_choices=ROLE_CHOICES, shown=shown), status


@bp.get("/users")
@admin_required
def users():
    return _page()


@bp.post("/users")
@admin_required
def create_user():
    form = AccountForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    password = accounts.new_password()
    try:
        user = accounts.create_user(get_session(), form.username.data, form.display_name.data,
                                    password, Role(form.role.data))
    except DomainError as exc:
        get_session().rollback()
        flash(exc.message, "error")
        return _page(form, status=400)
    return _page(shown=(user.username, password))


@bp.post("/users/<int:user_id>/<any(disable, enable, password):action>")
@admin_required
def account_action(user_id: int, action: str):
    session = get_session()
    user = accounts.get_user(session, user_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for(".users"))
    try:
        if action == "password":
            return _page(shown=(user.username, accounts.reset_password(session, user)))
        accounts.set_disabled(session, user, action == "disable", current_user)
    except DomainError as exc:
        session.rollback()
        flash(exc.message, "error")
    else:
        flash(_("The account is disabled: its sessions have ended.") if action == "disable"
              else _("The account is enabled."), "success")
    return redirect(url_for(".users"))


@bp.post("/users/<int:user_id>/role")
@admin_required
def change_role(user_id: int):
    session = get_session()
    user = accounts.get_user(session, user_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            accounts.set_role(session, user, Role(form.role.data), current_user)
        except DomainError as exc:
            session.rollback()
            flash(exc.message, "error")
        else:
            flash(_("The role is changed: the account's sessions have ended."), "success")
    return redirect(url_for(".users"))
