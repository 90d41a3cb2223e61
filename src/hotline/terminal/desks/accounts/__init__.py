"""Console accounts: users, roles, passwords and their own signing keys."""

from __future__ import annotations

from hotline.terminal.desks.accounts.users import (
    MIN_PASSWORD_CHARS,
    authenticate,
    check_user_name,
    create_user,
    set_password,
    user_json,
)

__all__ = [
    "MIN_PASSWORD_CHARS",
    "authenticate",
    "check_user_name",
    "create_user",
    "set_password",
    "user_json",
]
