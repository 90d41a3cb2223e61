"""Conferences: a standing group of parties, convened by one, that every member can write to.

A conference (docs/protocol/conferences.md) has an id (a message id), a name,
a convener and a roster: its parties with their signing keys and
fingerprints. The convener sends every roster version as ONE group message of
kind ``conference`` to every member (and, on a removal, to the removed party
too): every member holds the same signed bytes, and the payload hash shows it.

A member checks the roster came from the conference's convener (the sender's
signing key is the convener's on the roster) and is newer than the one it
holds, then that it has a line to every other member (by signing key), and
answers the convener ``join``, or ``refuse`` naming the parties it cannot
reach. While a member refused, the convener refuses to send to the conference,
naming the missing links; a member that refused refuses too.

A message to a conference is a group message with ``conference`` set in its
party map, to every other member: convener or member alike. Every roster
version and every answer is journalled, so both are in the shared record.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

from hotline.crypto import DEFAULT_CHANNEL, Precedence, new_message_id
from hotline.errors import DeliveryError, InvalidArgument, UnknownConference
from hotline.store import (
    ConferenceAnswer,
    ConferenceRecord,
    MessageRecord,
    PeerRecord,
    RosterRecord,
)
from hotline.terminal.core.desk import Acknowledged, Desk, DeskEvent, DeskServices
from hotline.terminal.core.groups import GroupQueued, party_block
from hotline.terminal.core.inbox import refuse_content
from hotline.terminal.core.markings import Markings, check_classification
from hotline.terminal.core.outbox import decode_body
from hotline.terminal.desks.conferences.roster import (
    CONFERENCE_KIND,
    MAX_MEMBERS,
    Conference,
    MemberView,
    Roster,
    RosterMember,
    check_name,
)
from hotline.utc import format_utc

__all__ = ["ConferenceDesk"]

#: The live-view topic the desk publishes on whenever a conference changes.
TOPIC = "conferences"


class ConferenceDesk(Desk):
    """Convenes conferences, answers rosters, sends to every member."""

    kinds = frozenset({CONFERENCE_KIND})

    def __init__(self, services: DeskServices) -> None:
        super().__init__(services)
        self._store = services.store
        self._clock = services.clock
        self._party = services.settings.party
        self._key = services.identity.signing_public
        # The card's: of the master key with two tiers, as the peers list it.
        self._fingerprint = services.fingerprint

    # -- reading ------------------------------------------------------------------

    def list(self) -> builtins.list[Conference]:
        """Every conference this terminal convened or was named in, oldest first."""
        return [self._view(record) for record in self._store.list_conferences()]

    def show(self, name_or_id: str) -> Conference:
        """One conference by id, or by name when only one has it; UnknownConference otherwise."""
        return self._view(self._find(name_or_id))

    def roster(self, name_or_id: str) -> Roster:
        """The newest roster of a conference."""
        return self._latest(self._find(name_or_id).id)

    def group_ids(self, name_or_id: str, *, limit: int | None = 50) -> builtins.list[str]:
        """The groups (messages) sent in a conference, newest first; rosters included."""
        return self._store.conference_groups(self._find(name_or_id).id, limit=limit)

    # -- the convener's actions ----------------------------------------------------

    def convene(self, name: str, parties: Sequence[str]) -> Conference:
        """Convene a conference of us and ``parties``; its first roster goes to each.

        (Not ``create``: that is every desk's builder, :meth:`Desk.create`.)

        InvalidArgument for a bad or taken name, fewer than 2 other parties, a
        party named twice or ourselves; UnknownPeer naming every party with no
        line here. Nothing is stored or sent unless all is well.
        """
        check_name(name)
        if any(record.name == name for record in self._store.list_conferences()):
            raise InvalidArgument(f"a conference named {name!r} exists here already")
        names = list(parties)
        twice = sorted({party for party in names if names.count(party) > 1})
        if twice:
            raise InvalidArgument(f"{', '.join(twice)} named more than once")
        if self._party in names:
            raise InvalidArgument(f"{self._party} is us: the convener is always a member")
        if len(names) < 2:
            raise InvalidArgument("a conference needs at least 2 other parties")
        if len(names) >= MAX_MEMBERS:
            raise InvalidArgument(f"a conference has at most {MAX_MEMBERS - 1} other parties")
        peers = self._peers(names)
        conference_id = new_message_id()
        roster = Roster(
            id=conference_id,
            name=name,
            convener=self._party,
            version=1,
            parties=(self._us(), *(self._member(peer) for peer in peers)),
        )
        record = ConferenceRecord(
            id=conference_id,
            name=name,
            convener=self._party,
            role="convener",
            created_at=format_utc(self._clock.now()),
        )
        self._send_roster(roster, to=peers, conference=record)
        return self.show(conference_id)

    def add_party(self, name_or_id: str, party: str) -> Conference:
        """Add ``party`` to a conference we convened: a new roster version to every member."""
        record = self._convened(name_or_id)
        current = self._latest(record.id)
        if current.named(party) is not None:
            raise InvalidArgument(f"{party} is already in conference {record.name}")
        [peer] = self._peers([party])
        roster = self._next(current, (*current.parties, self._member(peer)))
        self._send_roster(roster, to=self._peers(self._others(roster)))
        return self.show(record.id)

    def remove_party(self, name_or_id: str, party: str) -> Conference:
        """Remove ``party``: a new roster version to every member, the removed one too."""
        record = self._convened(name_or_id)
        current = self._latest(record.id)
        if party == self._party:
            raise InvalidArgument("the convener cannot leave its own conference")
        if current.named(party) is None:
            raise InvalidArgument(f"{party} is not in conference {record.name}")
        kept = tuple(m for m in current.parties if m.party != party)
        if len(kept) < 2:
            raise InvalidArgument("a conference keeps at least one party besides the convener")
        roster = self._next(current, kept)
        self._send_roster(roster, to=self._peers([*self._others(roster), party]))
        return self.show(record.id)

    # -- sending ------------------------------------------------------------------

    def send(
        self,
        name_or_id: str,
        *,
        text: str,
        precedence: Precedence = Precedence.ROUTINE,
        channel: str = DEFAULT_CHANNEL,
        markings: Markings | None = None,
        kind: str = "text",
        extra_body: Mapping[str, Any] | None = None,
    ) -> GroupQueued:
        """Send one payload to every other member, each copy over its own line.

        InvalidArgument, naming the missing links, while a member refused the
        newest roster (or we did), or once we are no longer on it.
        """
        record = self._find(name_or_id)
        view = self._view(record)
        if not view.active:
            raise InvalidArgument(f"we are no longer a member of conference {record.name}")
        if view.refused:
            blocked = "; ".join(
                f"{m.party} has no line to {', '.join(m.missing) or 'some member'}"
                for m in view.refused
            )
            raise InvalidArgument(
                f"conference {record.name} version {view.version} was refused: {blocked}; "
                "nothing was sent"
            )
        # A classification not agreed on these lines is refused here, as a send to one party is.
        check_classification(markings, self.services.settings.markings.classifications)
        roster = self._latest(record.id)
        peers = self._peers_by_key([m for m in roster.parties if m.key != self._key])
        body: dict[str, Any] = dict(extra_body or {})
        if self.services.settings.exercise:
            body["exercise"] = True
        if markings is not None and not markings.empty:
            body["markings"] = markings.to_body()
        group = self.services.outbox.queue_group(
            peers=peers,
            text=text,
            channel=channel,
            precedence=precedence,
            kind=kind,
            extra_body=body or None,
            conference=record.id,
        )
        for copy in group.records:
            self.services.lines.queued(copy, exercise=self.services.settings.exercise)
        self.services.events.publish(TOPIC, record.id)
        return group

    # -- incoming -----------------------------------------------------------------

    def received(self, record: MessageRecord) -> None:
        body = decode_body(record.body)
        op = body.get("op")
        if op == "roster":
            self._take_roster(record, body)
        elif op in ("join", "refuse"):
            self._take_answer(record, body)
        else:
            self._refuse(record, f"unknown conference operation {op!r}")

    def notice(self, event: DeskEvent) -> None:
        # A person acknowledging a conference message changes the grid's cells.
        if isinstance(event, Acknowledged):
            link = self._store.group_links([event.ack.message_id]).get(event.ack.message_id)
            if link is not None and link.conference is not None:
                self.services.events.publish(TOPIC, link.conference)

    def _take_roster(self, record: MessageRecord, body: Mapping[str, Any]) -> None:
        try:
            roster = Roster.from_map(body.get("conference"))
            block = party_block(body)
        except (InvalidArgument, DeliveryError) as exc:
            self._refuse(record, f"malformed roster: {exc}")
            return
        if block is None or block.conference != roster.id:
            self._refuse(record, "a roster must be a group message of its own conference")
            return
        sender = self._store.get_peer(record.peer)
        if sender is None or sender.signing_key != roster.convener_member.key:
            self._refuse(record, f"roster of {roster.name} not signed by its convener")
            return
        known = self._store.get_conference(roster.id)
        if known is not None:
            latest = self._latest(known.id)
            if latest.convener_member.key != roster.convener_member.key:
                self._refuse(record, f"roster of {roster.name} from another convener")
                return
            if roster.version <= latest.version:
                self._refuse(
                    record,
                    f"roster version {roster.version} of {roster.name} is not above "
                    f"version {latest.version}",
                )
                return
        us = roster.member(key=self._key)
        if known is None and us is None:
            self._refuse(record, f"a roster of {roster.name} that does not name us")
            return
        at = format_utc(self._clock.now())
        missing = [
            m.party
            for m in roster.parties
            if m.key not in (self._key, sender.signing_key)
            and self._store.get_peer_by_key(m.key) is None
        ]
        with self._store.transaction():
            if known is None:
                self._store.add_conference(
                    ConferenceRecord(
                        id=roster.id,
                        name=roster.name,
                        convener=roster.convener,
                        role="member",
                        created_at=at,
                    )
                )
            self._store_roster(roster, group_id=block.group_id, direction="received", at=at)
            answer = None
            if us is not None:
                answer = self._answer(roster, sender, missing, at)
        if answer is not None:
            self.services.lines.wake(sender.party)
        self.services.events.publish(TOPIC, roster.id)

    def _answer(
        self, roster: Roster, convener: PeerRecord, missing: Sequence[str], at: str
    ) -> MessageRecord:
        op = "refuse" if missing else "join"
        text = (
            f"REFUSED conference {roster.name} version {roster.version}: "
            f"no line to {', '.join(missing)}"
            if missing
            else f"JOINED conference {roster.name} version {roster.version}"
        )
        message = self.services.outbox.queue(
            peer=convener,
            text=text,
            kind=CONFERENCE_KIND,
            precedence=Precedence.PRIORITY,
            extra_body={
                "op": op,
                "conference": roster.id,
                "version": roster.version,
                "missing": list(missing),
            },
        )
        self._store_answer(
            ConferenceAnswer(
                conference=roster.id,
                version=roster.version,
                party=self._party,
                answer="refused" if missing else "joined",
                missing=tuple(missing),
                at=at,
                message_id=message.id,
            )
        )
        return message

    def _take_answer(self, record: MessageRecord, body: Mapping[str, Any]) -> None:
        conference_id, version, missing = (
            body.get("conference"),
            body.get("version"),
            body.get("missing"),
        )
        if (
            not isinstance(conference_id, str)
            or not isinstance(version, int)
            or not isinstance(missing, list)
            or not all(isinstance(party, str) and party for party in missing)
        ):
            self._refuse(record, "malformed conference answer")
            return
        known = self._store.get_conference(conference_id)
        if known is None or known.role != "convener":
            self._refuse(record, f"answers {conference_id}, not a conference we convened")
            return
        rosters = {r.version: Roster.decode(r.roster) for r in self._store.rosters(known.id)}
        roster = rosters.get(version)
        sender = self._store.get_peer(record.peer)
        if roster is None or sender is None or roster.member(key=sender.signing_key) is None:
            self._refuse(record, f"answers version {version} of {known.name}, which names it not")
            return
        refused = body.get("op") == "refuse"
        self._store_answer(
            ConferenceAnswer(
                conference=known.id,
                version=version,
                party=record.peer,
                answer="refused" if refused else "joined",
                missing=tuple(missing) if refused else (),
                at=format_utc(self._clock.now()),
                message_id=record.id,
            )
        )
        self.services.events.publish(TOPIC, known.id)

    # -- helpers ------------------------------------------------------------------

    def _send_roster(
        self,
        roster: Roster,
        *,
        to: Sequence[PeerRecord],
        conference: ConferenceRecord | None = None,
    ) -> None:
        """Store the roster (and a new conference) and queue it to ``to``: one transaction."""
        at = format_utc(self._clock.now())
        with self._store.transaction():
            if conference is not None:
                self._store.add_conference(conference)
            group = self.services.outbox.queue_group(
                peers=to,
                text=(
                    f"CONFERENCE {roster.name} roster version {roster.version}, convened by "
                    f"{roster.convener}: {', '.join(roster.names())}"
                ),
                precedence=Precedence.PRIORITY,
                kind=CONFERENCE_KIND,
                extra_body={"op": "roster", "conference": roster.to_map()},
                conference=roster.id,
            )
            self._store_roster(roster, group_id=group.group_id, direction="sent", at=at)
            for member in roster.parties:
                if member.key != self._key:
                    self._store_answer(
                        ConferenceAnswer(
                            conference=roster.id,
                            version=roster.version,
                            party=member.party,
                            answer="invited",
                            at=at,
                        )
                    )
        for copy in group.records:
            self.services.lines.queued(copy)
        self.services.events.publish(TOPIC, roster.id)

    def _store_roster(self, roster: Roster, *, group_id: str, direction: str, at: str) -> None:
        self._store.add_roster(
            RosterRecord(
                conference=roster.id,
                version=roster.version,
                roster=roster.encode(),
                group_id=group_id,
                direction=direction,
                at=at,
            )
        )
        self.services.journal(
            "conference roster",
            {
                "conference": roster.id,
                "name": roster.name,
                "convener": roster.convener,
                "version": roster.version,
                "parties": roster.names(),
                "direction": direction,
                "group": group_id,
            },
        )

    def _store_answer(self, answer: ConferenceAnswer) -> None:
        self._store.add_answer(answer)
        self.services.journal(
            "conference answer",
            {
                "conference": answer.conference,
                "version": answer.version,
                "party": answer.party,
                "answer": answer.answer,
                "missing": list(answer.missing),
                "id": answer.message_id,
            },
        )

    def _find(self, name_or_id: str) -> ConferenceRecord:
        record = self._store.get_conference(name_or_id)
        if record is not None:
            return record
        named = [c for c in self._store.list_conferences() if c.name == name_or_id]
        if len(named) > 1:
            ids = ", ".join(c.id for c in named)
            raise InvalidArgument(
                f"{len(named)} conferences are named {name_or_id}: name one by id ({ids})"
            )
        if not named:
            raise UnknownConference(f"no conference named or with id {name_or_id!r}")
        return named[0]

    def _convened(self, name_or_id: str) -> ConferenceRecord:
        record = self._find(name_or_id)
        if record.role != "convener":
            raise InvalidArgument(f"only {record.convener}, the convener, changes {record.name}")
        return record

    def _latest(self, conference_id: str) -> Roster:
        stored = self._store.latest_roster(conference_id)
        if stored is None:  # add_conference and add_roster share one transaction
            raise UnknownConference(f"conference {conference_id} has no roster")
        return Roster.decode(stored.roster)

    def _next(self, current: Roster, parties: tuple[RosterMember, ...]) -> Roster:
        return Roster(
            id=current.id,
            name=current.name,
            convener=current.convener,
            version=current.version + 1,
            parties=parties,
        )

    def _others(self, roster: Roster) -> builtins.list[str]:
        return [m.party for m in roster.parties if m.key != self._key]

    def _us(self) -> RosterMember:
        return RosterMember(party=self._party, key=self._key, fingerprint=self._fingerprint)

    @staticmethod
    def _member(peer: PeerRecord) -> RosterMember:
        return RosterMember(party=peer.party, key=peer.signing_key, fingerprint=peer.fingerprint)

    def _peers(self, names: Sequence[str]) -> builtins.list[PeerRecord]:
        """The peers named; UnknownPeer naming every one with no line here."""
        return self.services.lines.peers(names)

    def _peers_by_key(self, members: Sequence[RosterMember]) -> builtins.list[PeerRecord]:
        found = [(m, self._store.get_peer_by_key(m.key)) for m in members]
        missing = [m.party for m, peer in found if peer is None]
        if missing:
            raise InvalidArgument(f"no line to {', '.join(missing)}; nothing was sent")
        return [peer for _, peer in found if peer is not None]

    def _view(self, record: ConferenceRecord) -> Conference:
        roster = self._latest(record.id)
        answers: dict[str, ConferenceAnswer] = {}
        for answer in self._store.conference_answers(record.id):
            if answer.version == roster.version:
                answers[answer.party] = answer  # the latest answer stands
        members = []
        for m in roster.parties:
            us = m.key == self._key
            found = answers.get(self._party if us else m.party)
            members.append(
                MemberView(
                    party=m.party,
                    fingerprint=m.fingerprint,
                    answer=(
                        "convener"
                        if m.party == roster.convener
                        else (found.answer if found is not None else None)
                    ),
                    missing=found.missing if found is not None else (),
                    at=found.at if found is not None else None,
                    us=us,
                )
            )
        return Conference(
            id=record.id,
            name=record.name,
            convener=record.convener,
            role=record.role,
            version=roster.version,
            created_at=record.created_at,
            members=tuple(members),
            active=roster.member(key=self._key) is not None,
        )

    def _refuse(self, record: MessageRecord, reason: str) -> None:
        refuse_content(self._store, self._clock, record, what="conference", reason=reason)
