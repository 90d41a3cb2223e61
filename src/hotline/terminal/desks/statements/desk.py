"""Joint statements: drafted in a conference, revised by any party, signed by people, in force.

A statement (docs/protocol/statements.md) is a chain of drafts
(:class:`~hotline.terminal.core.joint.StatementDraft`). Every operation on it is ONE
group message of kind ``statement`` to every other party of the statement,
as a conference's roster is::

    {"op": "draft" | "revise", "draft": <the draft's canonical bytes>}
    {"op": "sign", "signature": <StatementSignature map, endorsed by the sender>}
    {"op": "withdraw", "statement": <first draft id>, "draft": <current id>, "at": <UTC>}

A receiver checks the sender is the party the operation speaks for (the
drafter of a draft, the signing party, the first drafter for a withdrawal),
recomputes ids from the bytes, that a revision revises the draft it holds as
current, that both signatures of a signature verify, and that the state allows
the move (:data:`~hotline.terminal.core.joint.STATEMENTS`); anything else is
refused (``refuse_content``), which records it and raises no alarm. Each
draft, revision, signature and withdrawal is stored and journalled in one
transaction, and so is the moment the policy is met (``statement in force``)
or the expiry passes (``statement expired``, on the tick). The state is
derived from those records alone (:func:`~hotline.terminal.core.joint.derive`),
so every party's terminal shows the same one.
"""

from __future__ import annotations

import builtins
import unicodedata
from collections.abc import Mapping
from typing import Any

import cbor2

from hotline.crypto import Precedence
from hotline.errors import (
    DeliveryError,
    InvalidArgument,
    ReleaseRefused,
    StatementInvalid,
    UnknownConference,
    UnknownMessage,
    UnknownStatement,
    WrongSigner,
)
from hotline.store import (
    Direction,
    MessageRecord,
    PeerRecord,
    StatementDraftRecord,
    StatementOutcomeRecord,
    StatementSignatureRecord,
)
from hotline.terminal.core.desk import Desk, DeskServices
from hotline.terminal.core.groups import party_block
from hotline.terminal.core.inbox import refuse_content
from hotline.terminal.core.joint import (
    STATEMENTS,
    ReleaseTarget,
    StatementDraft,
    StatementEvent,
    StatementParty,
    StatementSignature,
    StatementState,
    StatementStatus,
    check_language,
    derive,
    sign_draft,
)
from hotline.terminal.core.markings import markings_of, parse_moment
from hotline.terminal.core.operators import Operator, Permission
from hotline.terminal.core.outbox import MAX_TEXT_BYTES, decode_body
from hotline.terminal.core.releasing import RELEASE_KIND, Releaser
from hotline.terminal.desks.statements.view import StatementView, statement_view
from hotline.utc import format_utc, parse_utc

__all__ = ["STATEMENT_KIND", "TOPIC", "StatementDesk"]

#: The envelope kind of every statement operation.
STATEMENT_KIND = "statement"
#: The live-view topic the desk publishes on whenever a statement changes.
TOPIC = "statements"


class StatementDesk(Desk):
    """Drafts, revises, signs, withdraws and follows joint statements."""

    kinds = frozenset({STATEMENT_KIND})

    def __init__(self, services: DeskServices) -> None:
        super().__init__(services)
        self._store = services.store
        self._clock = services.clock
        self._party = services.settings.party
        self._key = services.identity.signing_public
        self._releaser = Releaser(services)

    # -- reading ------------------------------------------------------------------

    def list(self) -> builtins.list[StatementView]:
        """Every statement this terminal drafted or received, oldest first."""
        return [self._view(root) for root in self._store.list_statements()]

    def show(self, ref: str) -> StatementView:
        """One statement by its id (its first draft's) or any of its drafts' ids."""
        return self._view(self._root(ref))

    def status(self, ref: str) -> StatementStatus:
        return self._status(self._root(ref))

    def records(
        self, ref: str
    ) -> tuple[builtins.list[StatementDraftRecord], builtins.list[StatementSignatureRecord]]:
        """The stored drafts (first to current) and signatures of a statement, for an export."""
        root = self._root(ref)
        return self._store.statement_drafts(root), self._store.statement_signatures(root)

    # -- acting -------------------------------------------------------------------

    def draft(
        self,
        *,
        conference: str,
        title: str,
        texts: Mapping[str, str],
        authoritative: str | None = None,
        policy: int | None = None,
        effective: str | None = None,
        expires: str | None = None,
        releases: str | None = None,
    ) -> StatementView:
        """StatementDraft a statement among a conference's parties and circulate it to each.

        ``policy`` is how many distinct parties must sign (default: all).
        ``releases`` is the id of a marked message held here that this side
        may release: in force, the statement releases it on every terminal
        holding a copy (docs/protocol/statements.md §6).
        StatementInvalid for a draft that breaks the rules, UnknownConference,
        UnknownMessage, ReleaseRefused.
        """
        parties = self._conference_parties(conference)
        draft = StatementDraft(
            conference=parties[0],
            title=title.strip() if isinstance(title, str) else title,
            parties=parties[1],
            k=len(parties[1]) if policy is None else policy,
            effective=None if effective is None else parse_moment(effective, what="effective"),
            expires=None if expires is None else parse_moment(expires, what="expires"),
            texts=_texts(texts),
            authoritative=None if authoritative is None else check_language(authoritative),
            previous=None,
            drafter=self._party,
            drafted_at=self._now(),
            releases=None if releases is None else self._release_target(releases),
        )
        self._circulate(draft, op="draft", statement=draft.id)
        return self._view(draft.id)

    def revise(self, ref: str, *, texts: Mapping[str, str]) -> StatementView:
        """A new draft replacing (or adding) these languages' texts; signatures start over."""
        root = self._root(ref)
        status = self._status(root)
        self._allow(status, StatementEvent.REVISED)
        if not texts:
            raise StatementInvalid("a revision gives at least one language's text")
        for language in texts:
            check_language(language)
        draft = status.current.revised(texts=texts, drafter=self._party, drafted_at=self._now())
        if draft.texts == status.current.texts:
            raise StatementInvalid("the revision changes no text")
        self._circulate(draft, op="revise", statement=root)
        return self._view(root)

    def sign(self, ref: str, operator: Operator) -> StatementView:
        """``operator`` signs the current draft; the party endorses and circulates the signature."""
        operator.require(Permission.SIGN_STATEMENTS, "sign joint statements")
        root = self._root(ref)
        status = self._status(root)
        if status.current.party_by_key(self._key) is None:
            raise StatementInvalid(f"{self._party} is not a party of this statement")
        self._allow(status, StatementEvent.SIGNED)
        signature = sign_draft(
            status.current.id,
            party=self._party,
            person=operator.name,
            person_key=operator.public_key,
            person_sign=operator.sign,
            party_sign=self.services.identity.sign,
            signed_at=self._now(),
            # After a rotation the current key endorses, and says which (statements.md §2).
            sk=self.services.identity.rotated_signer,
        )
        if any(
            s.draft == signature.draft and s.person_key == signature.person_key
            for s in self._store.statement_signatures(root)
        ):
            raise StatementInvalid(f"{operator.name} signed this draft already")
        peers = self._peers(status.current)
        with self._store.transaction():
            group = self.services.outbox.queue_group(
                peers=peers,
                text=f"STATEMENT {status.current.title}: signed by {operator.name} for {self._party}",
                precedence=Precedence.PRIORITY,
                kind=STATEMENT_KIND,
                extra_body={"op": "sign", "signature": signature.to_map()},
                conference=status.current.conference,
            )
            released = self._store_signature(
                root, signature, direction="sent", group=group.group_id
            )
        for copy in [*group.records, *released]:
            self.services.lines.queued(copy)
        self.services.events.publish(TOPIC, root)
        return self._view(root)

    def withdraw(self, ref: str) -> StatementView:
        """Withdraw a statement we drafted, before it is in force."""
        root = self._root(ref)
        status = self._status(root)
        if status.first.drafter != self._party:
            raise StatementInvalid(f"only its drafter, {status.first.drafter}, may withdraw it")
        self._allow(status, StatementEvent.WITHDRAWN)
        at = self._now()
        peers = self._peers(status.current)
        with self._store.transaction():
            group = self.services.outbox.queue_group(
                peers=peers,
                text=f"STATEMENT {status.current.title}: WITHDRAWN by {self._party}",
                precedence=Precedence.PRIORITY,
                kind=STATEMENT_KIND,
                extra_body={
                    "op": "withdraw",
                    "statement": root,
                    "draft": status.current.id,
                    "at": at,
                },
                conference=status.current.conference,
            )
            self._end(root, "withdrawn", status.current.id, actor=self._party, at=at)
        for copy in group.records:
            self.services.lines.queued(copy)
        self.services.events.publish(TOPIC, root)
        return self._view(root)

    # -- incoming -----------------------------------------------------------------

    def received(self, record: MessageRecord) -> None:
        body = decode_body(record.body)
        sender = self._store.get_peer(record.peer)
        try:
            block = party_block(body)
            if block is None or sender is None:
                raise StatementInvalid("a statement operation is a group message from a peer")
            op = body.get("op")
            if op in ("draft", "revise"):
                self._take_draft(sender, body, revision=op == "revise", group=block.group_id)
            elif op == "sign":
                self._take_signature(sender, body, group=block.group_id)
            elif op == "withdraw":
                self._take_withdrawal(sender, body)
            else:
                raise StatementInvalid(f"unknown statement operation {op!r}")
        except (InvalidArgument, DeliveryError) as exc:  # StatementInvalid included
            refuse_content(self._store, self._clock, record, what="statement", reason=str(exc))

    def _take_draft(
        self, sender: PeerRecord, body: Mapping[str, Any], *, revision: bool, group: str
    ) -> None:
        payload = body.get("draft")
        if not isinstance(payload, bytes):
            raise StatementInvalid("a draft operation carries the draft's bytes")
        draft = StatementDraft.decode(payload)
        drafter = draft.party(draft.drafter)
        if drafter is None or drafter.key != sender.signing_key:
            raise StatementInvalid(f"a draft by {draft.drafter} sent by {sender.party}")
        if draft.party_by_key(self._key) is None:
            raise StatementInvalid("a draft of a statement that does not name us")
        if self._store.statement_draft(draft.id) is not None:
            raise StatementInvalid(f"draft {draft.id} is held here already")
        if not revision:
            if draft.previous is not None:
                raise StatementInvalid("a first draft revises nothing")
            if self._store.get_conference(draft.conference) is None:
                raise StatementInvalid(f"a draft in conference {draft.conference}, unknown here")
            if draft.releases is not None:
                self._check_release(draft.releases, drafter=draft.drafter)
            root = draft.id
        else:
            if draft.previous is None:
                raise StatementInvalid("a revision names the draft it revises")
            before = self._store.statement_draft(draft.previous)
            if before is None:
                raise StatementInvalid(f"a revision of {draft.previous}, unknown here")
            root = before.statement
            status = self._status(root)
            if draft.previous != status.current.id:
                raise StatementInvalid(
                    f"a revision of {draft.previous}, which is not the current draft "
                    f"({status.current.id})"
                )
            if not status.current.same_terms(draft):
                raise StatementInvalid(
                    "a revision may not change the parties, policy, conference or release"
                )
            self._allow(status, StatementEvent.REVISED)
        with self._store.transaction():
            self._store_draft(root, draft, direction="received", group=group)
        self.services.events.publish(TOPIC, root)

    def _take_signature(self, sender: PeerRecord, body: Mapping[str, Any], *, group: str) -> None:
        signature = StatementSignature.from_map(body.get("signature"))
        held = self._store.statement_draft(signature.draft)
        if held is None:
            raise StatementInvalid(f"a signature on {signature.draft}, unknown here")
        draft = StatementDraft.decode(held.payload)
        party = draft.party(signature.party)
        if party is None or party.key != sender.signing_key:
            raise StatementInvalid(f"a signature for {signature.party} sent by {sender.party}")
        endorser = self._endorser(sender, signature)
        signature.verify(draft, endorser=endorser)
        self._refuse_revoked(sender, signature, endorser or sender.signing_key)
        status = self._status(held.statement)
        if status.state in (StatementState.WITHDRAWN, StatementState.EXPIRED):
            raise StatementInvalid(f"a signature on a statement that is {status.state}")
        if draft.expires is not None and parse_utc(signature.signed_at) >= parse_utc(draft.expires):
            raise StatementInvalid("a signature made after the statement expired")
        if any(
            s.draft == signature.draft
            and s.party == signature.party
            and s.person_key == signature.person_key
            for s in self._store.statement_signatures(held.statement)
        ):
            raise StatementInvalid(f"{signature.person} signed this draft already")
        with self._store.transaction():
            released = self._store_signature(
                held.statement, signature, direction="received", group=group
            )
        for copy in released:
            self.services.lines.queued(copy)
        self.services.events.publish(TOPIC, held.statement)

    def _take_withdrawal(self, sender: PeerRecord, body: Mapping[str, Any]) -> None:
        root, current, at = body.get("statement"), body.get("draft"), body.get("at")
        if not isinstance(root, str) or not isinstance(current, str) or not isinstance(at, str):
            raise StatementInvalid("a withdrawal names the statement, its draft and the time")
        parse_moment(at, what="the withdrawal time")
        held = self._store.statement_draft(root)
        if held is None or held.statement != root:
            raise StatementInvalid(f"a withdrawal of {root}, unknown here")
        status = self._status(root)
        drafter = status.first.party(status.first.drafter)
        if drafter is None or drafter.key != sender.signing_key:
            raise StatementInvalid(f"only its drafter, {status.first.drafter}, may withdraw it")
        if current != status.current.id:
            raise StatementInvalid(f"a withdrawal of draft {current}, not the current one")
        self._allow(status, StatementEvent.WITHDRAWN)
        with self._store.transaction():
            self._end(root, "withdrawn", current, actor=sender.party, at=at)
        self.services.events.publish(TOPIC, root)

    def tick(self) -> None:
        """A statement whose expiry passed before it came into force is recorded expired."""
        now = self._now()
        for root in self._store.list_statements():
            if self._store.statement_outcome(root) is not None:
                continue
            status = self._status(root, now=now)
            if status.state is StatementState.EXPIRED:
                expires = status.current.expires
                assert expires is not None  # derive gives EXPIRED only then
                with self._store.transaction():
                    self._end(root, "expired", status.current.id, actor=self._party, at=expires)
                self.services.events.publish(TOPIC, root)

    # -- storing ------------------------------------------------------------------

    def _circulate(self, draft: StatementDraft, *, op: str, statement: str) -> None:
        peers = self._peers(draft)
        what = "revised" if op == "revise" else "drafted"
        with self._store.transaction():
            group = self.services.outbox.queue_group(
                peers=peers,
                text=f"STATEMENT {draft.title}: {what} by {self._party} ({', '.join(draft.languages)})",
                precedence=Precedence.PRIORITY,
                kind=STATEMENT_KIND,
                extra_body={"op": op, "draft": draft.encode()},
                conference=draft.conference,
            )
            self._store_draft(statement, draft, direction="sent", group=group.group_id)
        for copy in group.records:
            self.services.lines.queued(copy)
        self.services.events.publish(TOPIC, statement)

    def _store_draft(self, root: str, draft: StatementDraft, *, direction: str, group: str) -> None:
        self._store.add_statement_draft(
            StatementDraftRecord(
                id=draft.id,
                statement=root,
                payload=draft.encode(),
                previous=draft.previous,
                drafter=draft.drafter,
                drafted_at=draft.drafted_at,
            )
        )
        self.services.journal(
            "statement revised" if draft.previous is not None else "statement drafted",
            {
                "statement": root,
                "draft": draft.id,
                "previous": draft.previous,
                "title": draft.title,
                "drafter": draft.drafter,
                "languages": list(draft.languages),
                "direction": direction,
                "group": group,
            },
        )

    def _endorser(self, sender: PeerRecord, signature: StatementSignature) -> bytes | None:
        """The key that endorsed ``signature``: its ``"sk"`` if certified for ``sender`` at
        its signing time (None if not, or if it names none: the address endorsed)."""
        signers = self.services.signers
        if signature.sk is None or signers is None:
            return None
        try:
            return signers.signing_key_for(sender, signature.sk, signature.signed_at)
        except WrongSigner:
            return None

    def _refuse_revoked(
        self, sender: PeerRecord, signature: StatementSignature, endorser: bytes
    ) -> None:
        """StatementInvalid if the key that endorsed is one ``sender`` revoked (docs/keys.md §7a)."""
        revoked = self.services.revoked_keys
        if revoked is None:
            return
        problem = revoked.revoked_key_problem(sender.party, endorser, signature.signed_at)
        if problem is not None:
            raise StatementInvalid(f"{signature.party}'s endorsement is {problem}")

    def _store_signature(
        self,
        root: str,
        signature: StatementSignature,
        *,
        direction: str,
        group: str,
    ) -> builtins.list[MessageRecord]:
        """Store and journal a signature; if it brings the statement into force, say so.

        Returns the release messages queued when the statement releases a
        marked message (the caller hands them to their lines after the transaction).
        """
        before = self._status(root).state
        self._store.add_statement_signature(
            StatementSignatureRecord(
                draft=signature.draft,
                party=signature.party,
                person=signature.person,
                person_key=signature.person_key,
                person_sig=signature.person_sig,
                endorsement=signature.endorsement,
                signed_at=signature.signed_at,
                sk=signature.sk,
            )
        )
        self.services.journal(
            "statement signed",
            {
                "statement": root,
                "draft": signature.draft,
                "party": signature.party,
                "person": signature.person,
                "person_key": signature.person_key.hex(),
                "signed_at": signature.signed_at,
                "direction": direction,
                "group": group,
            },
        )
        after = self._status(root)
        if before is not StatementState.IN_FORCE and after.state is StatementState.IN_FORCE:
            assert after.in_force_at is not None
            self._end(root, "in-force", after.current.id, actor=self._party, at=after.in_force_at)
            if after.current.releases is not None:
                return self._release(after)
        return []

    def _end(self, root: str, outcome: str, draft: str, *, actor: str, at: str) -> None:
        self._store.add_statement_outcome(
            StatementOutcomeRecord(statement=root, outcome=outcome, draft=draft, actor=actor, at=at)
        )
        self.services.journal(
            f"statement {outcome.replace('-', ' ')}",
            {"statement": root, "draft": draft, "by": actor, "at": at},
        )

    # -- releasing a marked message (docs/protocol/statements.md §6) ----------------

    def _release_target(self, message_id: str) -> ReleaseTarget:
        """The exact copy a new draft names: held here, marked, ours to release."""
        record = self._store.get_message(message_id.strip())
        if record is None:
            raise UnknownMessage(f"no message with id {message_id}")
        refusal = self._releaser.refusal(record)
        if refusal is not None:
            raise ReleaseRefused(refusal)
        link = self._store.group_links([record.id]).get(record.id)
        return ReleaseTarget(
            message=record.id,
            envelope_hash=record.envelope_hash.hex(),
            group=None if link is None else link.group_id,
        )

    def _held_copies(self, target: ReleaseTarget) -> builtins.list[MessageRecord]:
        """Every copy of the released message this terminal holds (none: it holds no copy)."""
        ids = [target.message]
        if target.group is not None:
            ids += [m.message_id for m in self._store.group_members(target.group)]
        copies = [self._store.get_message(i) for i in dict.fromkeys(ids)]
        return [c for c in copies if c is not None]

    def _check_release(self, target: ReleaseTarget, *, drafter: str) -> None:
        """Refuse a first draft releasing a copy held here that its drafter may not release.

        A terminal holding no copy has nothing to check against (the drafter's
        terminal checked its own); one holding the named copy checks its
        envelope hash; each copy held must be marked and not yet released, and
        the drafter its sender, or its recipient where our ``release_by`` is
        ``"either"`` (as for a release message, markings.md §3).
        """
        for copy in self._held_copies(target):
            if copy.id == target.message and copy.envelope_hash.hex() != target.envelope_hash:
                raise StatementInvalid(
                    f"the envelope hash does not match message {copy.id} as held here"
                )
            refusal = None
            if copy.kind == RELEASE_KIND or markings_of(copy) is None:
                refusal = f"message {copy.id} carries no markings"
            elif self._store.release_of(copy.id) is not None:
                refusal = f"message {copy.id} is already released"
            elif not self._releaser.either_may() and not (
                copy.direction is Direction.IN and copy.peer == drafter
            ):
                refusal = (
                    f"{drafter} did not send message {copy.id} and may not release it "
                    '([markings] release_by = "sender")'
                )
            if refusal is not None:
                raise StatementInvalid(f"the statement releases a message it may not: {refusal}")

    def _release(self, status: StatementStatus) -> builtins.list[MessageRecord]:
        """The statement came into force: its drafter's terminal releases the message.

        Called once, in the transaction recording ``statement in force``. The
        drafter's terminal releases the named copy and every other copy of its
        group it may still release, through the usual path (one release message
        over each copy's line, naming the statement), so each holder records its
        copy's release when that message arrives, exactly once. Other terminals
        release nothing themselves. Returns the release messages queued.
        """
        target = status.current.releases
        assert target is not None
        assert status.in_force_at is not None
        named = self._store.get_message(target.message)
        if status.first.drafter != self._party or named is None:
            return []
        if named.envelope_hash.hex() != target.envelope_hash or self._releaser.refusal(named):
            return []  # released another way meanwhile: a message is released at most once
        at = status.in_force_at
        effective = status.current.effective
        if effective is not None and parse_utc(effective) > parse_utc(at):
            at = effective
        public = status.current.public_text
        if len(public.encode("utf-8")) > MAX_TEXT_BYTES // 2:
            public = f"{status.current.title} (joint statement {status.id})"
        queued = []
        for copy in self._releaser.copies(named):
            sent, _ = self._releaser.release_copy(
                copy, released_at=at, public=public, extra={"statement": status.id}
            )
            queued.append(sent)
            self.services.journal(
                "statement released",
                {"statement": status.id, "message": copy.id, "release": sent.id},
            )
        return queued

    # -- helpers ------------------------------------------------------------------

    def _now(self) -> str:
        return format_utc(self._clock.now())

    def _root(self, ref: str) -> str:
        held = self._store.statement_draft(ref.strip().lower()) if isinstance(ref, str) else None
        if held is None:
            raise UnknownStatement(f"no statement or draft with id {ref!r}")
        return held.statement

    def _status(self, root: str, *, now: str | None = None) -> StatementStatus:
        drafts = [StatementDraft.decode(d.payload) for d in self._store.statement_drafts(root)]
        signatures = [
            StatementSignature(
                draft=s.draft,
                party=s.party,
                person=s.person,
                person_key=s.person_key,
                person_sig=s.person_sig,
                signed_at=s.signed_at,
                endorsement=s.endorsement,
                sk=s.sk,
            )
            for s in self._store.statement_signatures(root)
        ]
        outcome = self._store.statement_outcome(root)
        withdrawn = outcome.at if outcome is not None and outcome.outcome == "withdrawn" else None
        return derive(drafts, signatures, now=now or self._now(), withdrawn_at=withdrawn)

    def _view(self, root: str) -> StatementView:
        status = self._status(root)
        signatures = self._store.statement_signatures(root)
        return statement_view(status, signatures, us=self._party)

    @staticmethod
    def _allow(status: StatementStatus, event: StatementEvent) -> None:
        if not STATEMENTS.allows(status.state, event):
            raise StatementInvalid(f"the statement is {status.state}: it cannot be {event} now")

    def _conference_parties(self, ref: str) -> tuple[str, tuple[StatementParty, ...]]:
        """The conference's id and its newest roster's parties (sorted by key)."""
        record = self._store.get_conference(ref)
        if record is None:
            named = [c for c in self._store.list_conferences() if c.name == ref]
            if len(named) != 1:
                raise UnknownConference(f"no single conference named or with id {ref!r}")
            record = named[0]
        roster = self._store.latest_roster(record.id)
        if roster is None:
            raise UnknownConference(f"conference {record.name} has no roster")
        found = cbor2.loads(roster.roster)
        parties = tuple(
            sorted(
                (StatementParty(party=p["party"], key=p["key"]) for p in found["parties"]),
                key=lambda p: p.key,
            )
        )
        if not any(p.key == self._key for p in parties):
            raise StatementInvalid(f"we are no longer a member of conference {record.name}")
        return record.id, parties

    def _peers(self, draft: StatementDraft) -> builtins.list[PeerRecord]:
        """Every other party's peer record; InvalidArgument naming those with no line here."""
        others = [p for p in draft.parties if p.key != self._key]
        found = [(p, self._store.get_peer_by_key(p.key)) for p in others]
        missing = [p.party for p, peer in found if peer is None]
        if missing:
            raise InvalidArgument(f"no line to {', '.join(missing)}; nothing was sent")
        return [peer for _, peer in found if peer is not None]


def _texts(texts: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The texts by language, NFC, sorted; StatementInvalid for none or a bad language."""
    if not texts:
        raise StatementInvalid("a statement has its text in at least one language")
    return tuple(
        sorted((check_language(lang), unicodedata.normalize("NFC", t)) for lang, t in texts.items())
    )
