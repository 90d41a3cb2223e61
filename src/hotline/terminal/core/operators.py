"""The people who act on a terminal: their roles and what each role may do.

Every desk that records what a person did (an acknowledgement, a handover note,
a call) needs to know who acted and whether they may; so these types live in
the core, below the desks, and the accounts desk (which creates users and checks
passwords) builds an :class:`Operator` on login.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from hotline.errors import PermissionDenied

__all__ = ["PERMISSIONS", "UI_LANGUAGES", "Operator", "Permission", "Role"]

#: The languages of the console's interface (and of a user's settings).
UI_LANGUAGES = ("en", "id", "ru")


class Role(StrEnum):
    OPERATOR = "operator"
    PRINCIPAL = "principal"
    AUDITOR = "auditor"
    ADMIN = "admin"
    #: Signs joint statements for the party (docs/protocol/statements.md), and reads.
    SIGNATORY = "signatory"


class Permission(StrEnum):
    READ = "read"
    SEND = "send"
    CALL = "call"
    ACKNOWLEDGE = "acknowledge"
    SHIFT_NOTE = "shift-note"
    ACKNOWLEDGE_ALARM = "acknowledge-alarm"
    MANAGE_PEERS = "manage-peers"
    MANAGE_USERS = "manage-users"
    #: Sign a joint statement on the party's behalf (principals and signatories).
    SIGN_STATEMENTS = "sign-statements"


#: What each role may do. Operators run the line; principals read, acknowledge
#: and take calls; auditors only read; admins manage peers and users (and read).
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OPERATOR: frozenset(
        {
            Permission.READ,
            Permission.SEND,
            Permission.CALL,
            Permission.ACKNOWLEDGE,
            Permission.SHIFT_NOTE,
            Permission.ACKNOWLEDGE_ALARM,
        }
    ),
    Role.PRINCIPAL: frozenset(
        {Permission.READ, Permission.CALL, Permission.ACKNOWLEDGE, Permission.SIGN_STATEMENTS}
    ),
    Role.AUDITOR: frozenset({Permission.READ}),
    Role.ADMIN: frozenset({Permission.READ, Permission.MANAGE_PEERS, Permission.MANAGE_USERS}),
    Role.SIGNATORY: frozenset({Permission.READ, Permission.SIGN_STATEMENTS}),
}


@dataclass(frozen=True, slots=True)
class Operator:
    """A logged-in user: who they are, what they may do, and their unwrapped signing key."""

    name: str
    role: Role
    language: str
    signing_key: Ed25519PrivateKey

    @property
    def public_key(self) -> bytes:
        return self.signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def may(self, permission: Permission) -> bool:
        return permission in PERMISSIONS[self.role]

    def require(self, permission: Permission, what: str) -> None:
        """PermissionDenied ("NAME (ROLE) may not WHAT") unless the role allows ``permission``."""
        if not self.may(permission):
            raise PermissionDenied(f"{self.name} ({self.role}) may not {what}")

    def sign(self, data: bytes) -> bytes:
        return self.signing_key.sign(data)
