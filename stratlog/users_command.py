"""`stratlog users create`: dashboard users, who log in at `POST /api/auth/login`.

The password is asked twice without echo (or read from stdin with `--password-stdin`, for
scripts), checked against the rules, hashed with argon2, and never printed or logged. Works
on the same store and secret as `stratlog keys` (stratlog/keys_command.py), with its exit
codes; an existing username is 2.
"""

import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from schema.security.accounts import PASSWORDS, USERNAME_PATTERN
from schema.security.credentials import CredentialStore, UserRecord
from schema.security.errors import UsernameTaken, WeakPassword
from schema.security.passwords import check_password_rules
from schema.security.principals import Role
from schema.settings import StoreSettings
from stratlog.keys_command import USAGE_ERROR, DataDir, run_on_credentials

users = typer.Typer(help="Dashboard users: create.", no_args_is_help=True)


class UserRole(StrEnum):
    ADMIN = "admin"
    USER = "user"


@users.command("create")
def create(
    username: Annotated[str, typer.Argument(help="The login name.")],
    role: Annotated[
        UserRole,
        typer.Option(case_sensitive=False, help="admin: everything; user: reads only."),
    ] = UserRole.USER,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin's first line.")
    ] = False,
    data_dir: DataDir = Path("stratlog-data"),
) -> None:
    """Create a dashboard user; the password is asked for, hidden, twice."""
    if not re.fullmatch(USERNAME_PATTERN, username):
        typer.echo("users: a username is 1 to 64 letters, digits and . _ @ -", err=True)
        raise typer.Exit(USAGE_ERROR)
    password = (
        sys.stdin.readline().rstrip("\r\n")
        if password_stdin
        else typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    )
    try:
        check_password_rules(password)
    except WeakPassword as exc:
        typer.echo(f"users: {exc}", err=True)
        raise typer.Exit(USAGE_ERROR) from exc
    password_hash = PASSWORDS.hash(password)
    stored_role: Role = "ADMIN" if role is UserRole.ADMIN else "USER"

    async def work(store: CredentialStore) -> UserRecord | None:
        return await store.create_user(username, password_hash, stored_role, created_by="cli")

    try:
        user = run_on_credentials(StoreSettings(data_dir=data_dir), work)
    except UsernameTaken as exc:
        typer.echo(f"users: {exc}", err=True)
        raise typer.Exit(USAGE_ERROR) from exc
    assert user is not None
    typer.echo(f"Created {user.role} user {user.username!r}; log in at POST /api/auth/login.")
