"""Console accounts: Argon2id passwords, roles, and a per-user key only the password opens."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.errors import AuthenticationFailed, InvalidArgument, PeerConflict
from hotline.store import SQLiteStore
from hotline.terminal import Permission, Role
from hotline.terminal.core import PERMISSIONS
from hotline.terminal.desks.accounts import authenticate, create_user, set_password, user_json
from hotline.testing import FakeClock

PASSWORD = "correct horse battery"


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    return SQLiteStore.open(tmp_path / "hotline.db")


def test_create_and_authenticate(store: SQLiteStore) -> None:
    user = create_user(store, FakeClock(), name="j.smith", role="operator", password=PASSWORD)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD.encode() not in user.wrapped_key
    operator = authenticate(store, "j.smith", PASSWORD)
    assert operator.role is Role.OPERATOR
    assert operator.public_key == user.signing_key
    # The unwrapped key signs in the user's name.
    signature = operator.sign(b"statement")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    Ed25519PublicKey.from_public_bytes(user.signing_key).verify(signature, b"statement")
    assert [e.kind for e in store.iter_journal()] == ["user added"]
    assert "password" not in str(user_json(user))


@pytest.mark.parametrize(
    ("name", "password"), [("j.smith", "wrong password!"), ("nobody", PASSWORD)]
)
def test_wrong_name_or_password_look_the_same(store: SQLiteStore, name: str, password: str) -> None:
    create_user(store, FakeClock(), name="j.smith", role="auditor", password=PASSWORD)
    with pytest.raises(AuthenticationFailed, match=r"^wrong name or password$"):
        authenticate(store, name, password)


def test_a_new_password_keeps_the_same_key(store: SQLiteStore) -> None:
    user = create_user(store, FakeClock(), name="a", role="principal", password=PASSWORD)
    operator = authenticate(store, "a", PASSWORD)
    set_password(store, operator, "another long password")
    with pytest.raises(AuthenticationFailed):
        authenticate(store, "a", PASSWORD)
    again = authenticate(store, "a", "another long password")
    assert again.public_key == user.signing_key


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "1abc"}, "not valid"),
        ({"role": "king"}, "role must be one of"),
        ({"password": "short"}, "at least 10"),
        ({"language": "fr"}, "language must be one of"),
    ],
)
def test_bad_accounts_are_refused(store: SQLiteStore, kwargs: dict[str, str], match: str) -> None:
    args = {"name": "ok", "role": "operator", "password": PASSWORD, **kwargs}
    with pytest.raises(InvalidArgument, match=match):
        create_user(store, FakeClock(), **args)


def test_names_are_unique(store: SQLiteStore) -> None:
    create_user(store, FakeClock(), name="a", role="operator", password=PASSWORD)
    with pytest.raises(PeerConflict):
        create_user(store, FakeClock(), name="a", role="admin", password=PASSWORD)


def test_roles_and_permissions() -> None:
    assert Permission.SEND in PERMISSIONS[Role.OPERATOR]
    assert Permission.SEND not in PERMISSIONS[Role.PRINCIPAL]
    assert Permission.ACKNOWLEDGE in PERMISSIONS[Role.PRINCIPAL]
    assert PERMISSIONS[Role.AUDITOR] == {Permission.READ}
    assert Permission.MANAGE_USERS in PERMISSIONS[Role.ADMIN]
    assert Permission.SEND not in PERMISSIONS[Role.ADMIN]
