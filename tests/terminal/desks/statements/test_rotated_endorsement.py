"""A party that rotated its signing key endorses joint statements with the current key.

Three in-process terminals under virtual time (docs/protocol/statements.md §2):
Washington rotates its signing key and switches; its endorsement then names
the new key in ``"sk"``, every party accepts it (resolved through the key
certificates it holds), the statement comes into force on all three, and the
export audits offline from any party: it carries the certificate of the key
that endorsed. An ``"sk"`` that no certificate covers is refused, online and
offline.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hotline.crypto import SoftwareSigner
from hotline.errors import StatementInvalid
from hotline.terminal.api.statements import statement_export
from hotline.terminal.core.joint import StatementSignature, sign_draft
from hotline.terminal.desks.keys import KeyDesk
from hotline.terminal.record.statement_audit import MAGIC, audit_statement
from hotline.testing import run_virtual
from hotline.utc import format_utc

from ...helpers import make_mesh, refusals, wait_until
from .test_desk import PARTIES, TEXTS, convened, desk, person, running, states


def test_a_rotated_party_endorses_with_its_current_key(tmp_path: Path) -> None:
    directories = make_mesh(tmp_path, list(PARTIES))

    async def main() -> None:
        async with running(directories) as t:
            await convened(t)
            washington = t["Washington"]
            washington.desk(KeyDesk).rotate("signing")
            await wait_until(
                lambda: washington.identity.rotated_signer is not None,
                what="Washington's switch to its new signing key",
            )
            new_key = washington.identity.rotated_signer
            people = {party: person(t[party], f"p-{party.lower()}") for party in PARTIES}
            statement = desk(washington).draft(conference="quint", title="Joint", texts=TEXTS).id
            await wait_until(
                lambda: states(t, statement) == dict.fromkeys(PARTIES, "circulating"),
                what="the draft everywhere",
            )
            for party in PARTIES:
                desk(t[party]).sign(statement, people[party])
            await wait_until(
                lambda: states(t, statement) == dict.fromkeys(PARTIES, "in-force"),
                what="in force on all three",
            )
            for party in PARTIES:
                assert not [
                    r for r in refusals(t[party].store) if r.data.get("what") == "statement"
                ]
                stored = {s.party: s.sk for s in t[party].store.statement_signatures(statement)}
                # Washington's endorsement names its new key; the others' name none.
                assert stored == {"Washington": new_key, "London": None, "Paris": None}

            # The export audits offline from any party, and needs the certificate it carries.
            for party in PARTIES:
                data, _ = statement_export(t[party], statement)
                audit = audit_statement(data, now=format_utc(t[party].clock.now()))
                assert audit.fault is None, (party, audit.fault)
                assert audit.status is not None
                assert audit.status.state == "in-force"
            data, _ = statement_export(t["London"], statement)
            document = cbor2.loads(data[len(MAGIC) :])
            assert len(document["certificates"]) == 1
            del document["certificates"]
            # London's card of Washington predates the rotation: without the
            # certificate nothing covers the key that endorsed.
            stripped = MAGIC + cbor2.dumps(document, canonical=True)
            fault = audit_statement(stripped, now=format_utc(t["London"].clock.now())).fault
            assert fault is not None
            assert "Washington's endorsement" in fault

    run_virtual(main())


def test_an_endorsement_by_an_uncertified_key_is_refused(tmp_path: Path) -> None:
    directories = make_mesh(tmp_path, list(PARTIES))

    async def main() -> None:
        async with running(directories) as t:
            await convened(t)
            washington = t["Washington"]
            statement = desk(washington).draft(conference="quint", title="T", texts={"en": "x"}).id
            status = desk(washington).status(statement)
            president = person(washington, "president")
            stranger = SoftwareSigner(Ed25519PrivateKey.generate())
            forged = sign_draft(
                status.current.id,
                party="Washington",
                person=president.name,
                person_key=president.public_key,
                person_sign=president.sign,
                party_sign=stranger.sign,
                signed_at=format_utc(washington.clock.now()),
                sk=stranger.public_key,
            )
            # Its own signature holds, but no certificate makes the key Washington's.
            with pytest.raises(StatementInvalid, match="not certified"):
                forged.verify(status.current)
            forged.verify(status.current, endorser=stranger.public_key)
            # The sk is signed: naming another key breaks the endorsement.
            renamed = dataclasses.replace(forged, sk=washington.identity.signing_public)
            with pytest.raises(StatementInvalid, match="endorsement"):
                renamed.verify(status.current)
            # A peer refuses it: its Signers know no such key of Washington's.
            await wait_until(
                lambda: "absent" not in states(t, statement).values(), what="the draft"
            )
            london = t["London"]
            sender = london.store.get_peer("Washington")
            assert sender is not None
            with pytest.raises(StatementInvalid, match="not certified"):
                desk(london)._take_signature(
                    sender, {"op": "sign", "signature": forged.to_map()}, group="forged"
                )
            assert london.store.statement_signatures(statement) == []
            assert StatementSignature.from_map(forged.to_map()) == forged

    run_virtual(main())


def test_an_endorsement_by_a_revoked_key_is_refused(tmp_path: Path) -> None:
    directories = make_mesh(tmp_path, list(PARTIES))

    async def main() -> None:
        async with running(directories) as t:
            await convened(t)
            washington, london = t["Washington"], t["London"]
            keys = washington.desk(KeyDesk)
            keys.rotate("signing")
            await wait_until(
                lambda: washington.identity.rotated_signer is not None,
                what="Washington's switch to its new signing key",
            )
            assert keys.tiers is not None
            [address] = [
                c for c in keys.tiers.certificates if c.serial == 1 and c.kind == "signing"
            ]
            keys.revoke(address.key_id, reason="the old key leaked")
            await wait_until(
                lambda: bool(london.store.peer_key_revocations("Washington")),
                what="the revocation at London",
            )
            statement = desk(washington).draft(conference="quint", title="T", texts={"en": "x"}).id
            await wait_until(
                lambda: "absent" not in states(t, statement).values(), what="the draft"
            )
            # Whoever holds the leaked key endorses with it, as the address (no "sk").
            leaked = SoftwareSigner(
                Ed25519PrivateKey.from_private_bytes(
                    (directories["Washington"] / "keys" / "signing-1.key").read_bytes()
                )
            )
            assert leaked.public_key == address.public_key
            president = person(washington, "president")
            forged = sign_draft(
                desk(washington).status(statement).current.id,
                party="Washington",
                person=president.name,
                person_key=president.public_key,
                person_sign=president.sign,
                party_sign=leaked.sign,
                signed_at=format_utc(washington.clock.now()),
            )
            sender = london.store.get_peer("Washington")
            assert sender is not None
            with pytest.raises(StatementInvalid, match="revoked key"):
                desk(london)._take_signature(
                    sender, {"op": "sign", "signature": forged.to_map()}, group="forged"
                )
            assert london.store.statement_signatures(statement) == []

    run_virtual(main())
