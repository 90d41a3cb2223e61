"""A key ceremony's journal entry: what it says, what its participants sign, and its check.

``hotline ceremony`` (docs/keys.md, "Key ceremony") records who was present,
the witnesses, the purpose and the keys the terminal holds at that moment as a
journal entry of kind :data:`CEREMONY_KIND`. Each participant (present or
witness) signs the entry's body with their own person key (a console user's
key, ``desks/accounts/users.py``), over canonical CBOR with the domain
:data:`CEREMONY_DOMAIN`; the signatures ride in the entry::

    {"party", "purpose", "at", "present": [names], "witnesses": [names],
     "keys": [{"id", "kind", "serial", "public_key", "not_before", "not_after"}],
     "signatures": [{"name", "key": hex, "signature": hex}]}

Signed bytes: ``canonical_cbor({"domain": CEREMONY_DOMAIN, **entry minus
"signatures"})``. ``hotline verify`` checks every signature, that every
participant signed and no one else, and that each key is the one the store
holds for that user (:func:`check_ceremony`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hotline.crypto._cbor import canonical_dumps
from hotline.crypto.identity import verify_signature
from hotline.errors import SignatureInvalid

__all__ = [
    "CEREMONY_DOMAIN",
    "CEREMONY_KIND",
    "USER_ADDED_KIND",
    "ceremony_statement",
    "check_ceremony",
]

CEREMONY_KIND = "key ceremony"
CEREMONY_DOMAIN = "hotline key ceremony v1"
#: The entry ``desks/accounts/users.py`` journals when a user (and their key) is added:
#: ``hotline audit`` takes a person's key from it when the bundle holds it.
USER_ADDED_KIND = "user added"


def ceremony_statement(body: Mapping[str, Any]) -> bytes:
    """The bytes each participant signs: the entry without its signatures, with the domain."""
    unsigned = {key: value for key, value in body.items() if key != "signatures"}
    return canonical_dumps({"domain": CEREMONY_DOMAIN, **unsigned})


def check_ceremony(data: Mapping[str, Any], user_keys: Mapping[str, bytes]) -> str | None:
    """What is wrong with a ceremony entry's ``data``, or None if every signature holds.

    ``user_keys`` maps a console user's name to the public key the store holds
    for them: a signature by another key than the user's is refused.
    """
    try:
        participants = [*data["present"], *data["witnesses"]]
        signatures = list(data["signatures"])
    except (KeyError, TypeError):
        return "the entry lacks its participants or signatures"
    statement = ceremony_statement(data)
    signers: list[str] = []
    for item in signatures:
        try:
            name, key, signature = (
                str(item["name"]),
                bytes.fromhex(item["key"]),
                bytes.fromhex(item["signature"]),
            )
        except (KeyError, TypeError, ValueError):
            return "a signature is malformed"
        if user_keys.get(name) != key:
            return f"{name} signed with a key that is not their person key"
        try:
            verify_signature(key, signature, statement)
        except SignatureInvalid:
            return f"the signature of {name} does not verify"
        signers.append(name)
    if sorted(signers) != sorted(participants):
        return (
            f"signed by {', '.join(sorted(signers)) or 'no one'}, "
            f"not by every participant ({', '.join(sorted(participants))})"
        )
    return None
