"""`flask users ...`: create accounts and make sure the first admin exists."""

import logging
import os
import sys
import textwrap
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.cli import in_default_locale
from app.db import get_session
from app.errors import AppError
from app.models import ROLES
from app.services import accounts

log = logging.getLogger(__name__)
users_cli = AppGroup("users", help="Manage StepFree accounts.")

FIRST_ADMIN_EMAIL = "admin@stepfree.local"


@users_cli.command("create")
@click.option("--email", required=True, help="The new account's email address.")
@click.option("--role", type=click.Choice(ROLES), default="volunteer", show_default=True)
@click.option("--name", "display_name", default=None, help="Display name (default: the part before @).")
@click.option("--password", default=None,
              help="Password; omit to be asked, or to get a generated one without a terminal.")
@in_default_locale
def create(email: str, role: str, display_name: str | None, password: str | None) -> None:
    """Create an account with the given role."""
    generated = False
    if password is None:
        if sys.stdin.isatty():
            password = click.prompt(_("Password"), hide_input=True, confirmation_prompt=True)
        else:
            password, generated = accounts.generate_password(), True
    session = get_session()
    try:
        user = accounts.create_user(session, email, password, display_name, role)
    except AppError as error:
        raise click.ClickException(f"{error.field}: {error.message}") from None
    session.commit()
    click.echo(_("Created %(role)s %(email)s (id %(id)s).", role=user.role, email=user.email, id=user.id))
    if generated:
        click.echo(_("Generated password: %(password)s", password=password))


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
@in_default_locale
def set_role(email: str, role: str) -> None:
    """Change the role of the account with EMAIL."""
    from sqlalchemy import select

    from app.models import User
    session = get_session()
    user = session.scalar(select(User).where(User.email == accounts.normalise_email(email)))
    if user is None:
        raise click.ClickException(_("email: no account with the email %(email)s; create it with 'flask users "
                                     "create'.", email=email))
    accounts.set_role(session, None, user, role)
    session.commit()
    click.echo(_("%(email)s is now %(role)s.", email=user.email, role=user.role))


@users_cli.command("ensure-admin")
@click.option("--credentials-file", type=click.Path(dir_okay=False), required=True,
              help="Where the generated sign-in is kept (readable by its owner only).")
@in_default_locale
def ensure_admin(credentials_file: str) -> None:
    """Create the first admin if there is none, and print its sign-in once."""
    session = get_session()
    if accounts.count_admins(session) > 0:
        click.echo(_("An admin account exists (first admin's sign-in, if generated here: %(file)s).",
                     file=credentials_file))
        return
    password = accounts.generate_password()
    accounts.create_user(session, FIRST_ADMIN_EMAIL, password, "Admin", "admin")
    session.commit()
    path = Path(credentials_file)
    path.touch(mode=0o600)
    path.write_text(f"email: {FIRST_ADMIN_EMAIL}\npassword: {password}\n")
    os.chmod(path, 0o600)
    # One message, so a translator can keep the two values aligned.
    created = _("First admin created. Sign in at %(url)s with\n"
                "  email:    %(email)s\n"
                "  password: %(password)s\n"
                "(kept in %(file)s; change roles at /admin/users)",
                url="http://127.0.0.1:5000/account/login", email=FIRST_ADMIN_EMAIL, password=password,
                file=credentials_file)
    click.echo("")
    click.echo(textwrap.indent(created, "  "))
    click.echo("")


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)
