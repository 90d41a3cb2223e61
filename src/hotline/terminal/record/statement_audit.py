"""A joint statement exported alone, and its audit with nothing but the file.

The export (docs/protocol/statements.md, "Export") is :data:`MAGIC` followed by
one canonical CBOR map::

    {"v": 1, "drafts": [<each draft's canonical bytes, first to current>],
     "signatures": [<each signature map with its endorsement>],
     "cards": [<each party's card, its JSON text>],
     "released": {"envelope": <bytes>, "body": <bytes>},   # only when it released one
     "certificates": [<key certificate bytes>]}            # only when a rotated key endorsed

An endorsement by a rotated signing key names it (``"sk"``); the file then
carries the key certificates of those keys, and the audit accepts one only if
the party's master (its card's) certified it for the party at the signature's
time (``certified_signer``), as ``hotline verify`` does for envelopes.

A statement that releases a marked message (statements.md §6) carries, once in
force, that message's signed envelope and its plaintext body, and the cards of
its sender and recipient among the cards: the audit checks the envelope is the
one the drafts name (id and hash), that its sender signed it and committed to
the body, that it is marked, and that the drafter sent or received it, then
prints the original message (banner, who sent it to whom, when) with the
statement. Before it is in force the file carries no such message (it is
still marked).

:func:`audit_statement` checks every byte of it: each draft decodes to itself
(so its id is the hash of exactly these bytes) and revises the one before,
each party of the statement has a card here that verifies and holds the key
the drafts name, each person's signature verifies over the draft it names and
each endorsement under its party's key; then it derives the state as a
terminal does (distinct parties on the current draft). A signature listed
twice is a fault: a file must not look as if a party counted twice.
:func:`statement_html` renders a printable page per language.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import cbor2

from hotline.crypto import (
    Envelope,
    KeyCertificate,
    PeerCard,
    check_body_commitment,
    verify_envelope,
)
from hotline.errors import (
    CardInvalid,
    CryptoError,
    DeliveryError,
    InvalidArgument,
    StatementInvalid,
    WrongSigner,
)
from hotline.terminal.core.joint import (
    ReleaseTarget,
    StatementDraft,
    StatementSignature,
    StatementState,
    StatementStatus,
    derive,
)
from hotline.terminal.core.markings import Markings
from hotline.terminal.core.signers import certified_signer

__all__ = [
    "MAGIC",
    "ReleasedMessage",
    "StatementAudit",
    "audit_statement",
    "export_statement",
    "is_statement_export",
    "statement_html",
]

MAGIC = b"HOTLINE-STATEMENT-EXPORT-1\n"
_MAX_BYTES = 16 * 1024 * 1024


def export_statement(
    drafts: Sequence[bytes],
    signatures: Sequence[StatementSignature],
    cards: Sequence[str],
    released: tuple[bytes, bytes] | None = None,
    certificates: Sequence[KeyCertificate] = (),
) -> bytes:
    """The self-contained file of a statement: every draft, signature and party card.

    ``released`` is the (envelope, body) of the marked message the statement
    released, for a statement in force that released one. ``certificates``
    certify the rotated signing keys that endorsed (each signature's ``sk``).
    """
    document: dict[str, Any] = {
        "v": 1,
        "drafts": list(drafts),
        "signatures": [s.to_map() for s in signatures],
        "cards": list(cards),
    }
    if released is not None:
        document["released"] = {"envelope": released[0], "body": released[1]}
    if certificates:
        document["certificates"] = sorted({c.encode() for c in certificates})
    return MAGIC + bytes(cbor2.dumps(document, canonical=True))


def is_statement_export(data: bytes) -> bool:
    return data.startswith(MAGIC)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleasedMessage:
    """The marked message a statement released, as its signed envelope and body prove it."""

    id: str
    sender: str
    recipient: str
    sent_at: str
    serial: int
    time_group: str
    #: Its handling markings as banner lines (``Markings.lines``).
    markings: tuple[str, ...]
    text: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "sender": self.sender,
            "recipient": self.recipient,
            "sent_at": self.sent_at,
            "serial": self.serial,
            "time_group": self.time_group,
            "markings": list(self.markings),
            "text": self.text,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementAudit:
    """What an exported statement proves, or the first fault found."""

    fault: str | None
    status: StatementStatus | None = None
    signatures: tuple[StatementSignature, ...] = ()
    #: party name -> its card's fingerprint.
    fingerprints: dict[str, str] = field(default_factory=dict)
    #: The marked message the statement released, when the file carries it.
    released: ReleasedMessage | None = None

    def lines(self) -> list[str]:
        """The account printed by ``hotline audit``."""
        if self.status is None:
            return []
        current = self.status.current
        out = [
            f"joint statement {self.status.id}",
            f"title: {current.title}",
            f"current draft: {current.id} ({len(self.status.drafts)} draft(s))",
            f"state: {self.status.state}  (policy {current.k} of {current.n} parties, "
            f"{len(self.status.counted)} signed the current draft)",
        ]
        if self.status.in_force_at is not None:
            out.append(f"in force since {self.status.in_force_at}")
        if current.effective is not None:
            out.append(f"effective: {current.effective}")
        if current.expires is not None:
            out.append(f"expires: {current.expires}")
        out.append(
            "authentic texts: "
            + (
                f"{current.authoritative} is authoritative"
                if current.authoritative
                else "all languages equally"
            )
        )
        if current.releases is not None:
            out += ["", *self._release_lines(current.releases)]
        for language, text in current.texts:
            out += ["", f"--- {language} ---", text]
        out += ["", "signatures:"]
        for s in self.signatures:
            counts = self.status.counted.get(s.party) == s
            note = (
                "" if counts else "  (does not count: another draft, or the party counted already)"
            )
            out.append(
                f"  {s.signed_at}  {s.person} for {s.party} "
                f"(party fingerprint {self.fingerprints.get(s.party, '?')}; "
                f"person key {s.person_key.hex()[:16]}…) on draft {s.draft[:16]}…{note}"
            )
        for p in current.parties:
            if p.party not in self.status.counted:
                out.append(
                    f"  {p.party}: not signed (fingerprint {self.fingerprints.get(p.party)})"
                )
        return out

    def released_as_of(self) -> str | None:
        """When the statement's release took effect: the later of in force and effective."""
        if self.status is None:
            return None
        at = self.status.in_force_at
        effective = self.status.current.effective
        if effective is not None and at is not None and effective > at:
            at = effective
        return at

    def _release_lines(self, target: ReleaseTarget) -> list[str]:
        m = self.released
        if m is None:
            return [
                f"releases marked message {target.message} when in force "
                "(not in this file: it is not in force)"
            ]
        at = self.released_as_of()
        return [
            f"RELEASES marked message {m.id} (envelope {target.envelope_hash[:16]}…), "
            f"released by this statement as of {at}:",
            f"  message serial {m.serial} ({m.time_group}) from {m.sender} to {m.recipient}, "
            f"sent {m.sent_at}",
            *(f"      ** {line}" for line in m.markings),
            *(f"  | {line}" for line in m.text.splitlines()),
        ]

    def to_json(self) -> dict[str, Any]:
        if self.status is None:
            return {"ok": False, "fault": self.fault}
        return {
            "ok": self.fault is None,
            "fault": self.fault,
            "id": self.status.id,
            "current": self.status.current.id,
            "state": str(self.status.state),
            "in_force_at": self.status.in_force_at,
            "texts": dict(self.status.current.texts),
            "fingerprints": self.fingerprints,
            "released": None if self.released is None else self.released.to_json(),
            "signatures": [
                {
                    "party": s.party,
                    "person": s.person,
                    "signed_at": s.signed_at,
                    "draft": s.draft,
                    "counts": self.status.counted.get(s.party) == s,
                }
                for s in self.signatures
            ],
        }


def audit_statement(data: bytes, *, now: str) -> StatementAudit:
    """Verify an exported statement offline; the fault names the first thing that fails."""
    try:
        return _audit(data, now=now)
    except StatementInvalid as exc:
        return StatementAudit(fault=str(exc))


def _audit(data: bytes, *, now: str) -> StatementAudit:
    if not data.startswith(MAGIC) or len(data) > _MAX_BYTES:
        raise StatementInvalid("not a hotline statement export")
    body = data[len(MAGIC) :]
    try:
        document = cbor2.loads(body)
    except (cbor2.CBORDecodeError, ValueError, TypeError) as exc:
        raise StatementInvalid(f"the export is not CBOR: {exc}") from None
    keys = {"v", "drafts", "signatures", "cards"}
    if not isinstance(document, dict) or not keys <= set(document) <= keys | _OPTIONAL:
        raise StatementInvalid(
            "the export holds exactly v, drafts, signatures and cards (and released, certificates)"
        )
    if document["v"] != 1:
        raise StatementInvalid(f"export version {document['v']!r} is not 1")
    if bytes(cbor2.dumps(document, canonical=True)) != body:
        raise StatementInvalid("the export is not in canonical CBOR")
    raw_drafts, raw_signatures, raw_cards = (
        document["drafts"],
        document["signatures"],
        document["cards"],
    )
    if not all(isinstance(x, list) for x in (raw_drafts, raw_signatures, raw_cards)):
        raise StatementInvalid("drafts, signatures and cards are lists")
    drafts = []
    for index, payload in enumerate(raw_drafts, start=1):
        try:
            drafts.append(StatementDraft.decode(payload))
        except StatementInvalid as exc:
            raise StatementInvalid(f"draft {index}: {exc}") from None
    if not drafts:
        raise StatementInvalid("the export holds no draft")
    current = drafts[-1]
    cards: dict[bytes, PeerCard] = {}
    for text in raw_cards:
        if not isinstance(text, str):
            raise StatementInvalid("a card is its JSON text")
        try:
            card = PeerCard.from_json(text)
        except CardInvalid as exc:
            raise StatementInvalid(f"a party card does not verify: {exc}") from None
        cards[card.signing_key] = card
    fingerprints = {}
    for p in current.parties:
        found = cards.get(p.key)
        if found is None or found.party != p.party:
            raise StatementInvalid(f"no card of {p.party} with the key the statement names")
        fingerprints[p.party] = found.fingerprint
    certified = _certificates(document.get("certificates", []))
    by_id = {d.id: d for d in drafts}
    signatures: list[StatementSignature] = []
    seen: set[tuple[str, str, bytes]] = set()
    for entry in raw_signatures:
        signature = StatementSignature.from_map(entry)
        draft = by_id.get(signature.draft)
        if draft is None:
            raise StatementInvalid(
                f"a signature of {signature.person} on a draft not in the export"
            )
        signature.verify(draft, endorser=_endorser(signature, cards, certified))
        key = (signature.draft, signature.party, signature.person_key)
        if key in seen:
            raise StatementInvalid(
                f"{signature.person} of {signature.party} is listed twice on one draft: "
                "a party counts once"
            )
        seen.add(key)
        signatures.append(signature)
    status = derive(drafts, signatures, now=now)
    released = _released(status, document.get("released"), cards)
    return StatementAudit(
        fault=None,
        status=status,
        signatures=tuple(signatures),
        fingerprints=fingerprints,
        released=released,
    )


_OPTIONAL = frozenset({"released", "certificates"})


def _certificates(found: object) -> list[KeyCertificate]:
    if not isinstance(found, list) or not all(isinstance(item, bytes) for item in found):
        raise StatementInvalid("certificates is a list of key certificates")
    try:
        return [KeyCertificate.decode(item) for item in found]
    except CardInvalid as exc:
        raise StatementInvalid(f"a key certificate does not hold: {exc}") from None


def _endorser(
    signature: StatementSignature,
    cards: Mapping[bytes, PeerCard],
    certified: Sequence[KeyCertificate],
) -> bytes | None:
    """The rotated key that endorsed ``signature``, if its party's master certified it then."""
    if signature.sk is None:
        return None
    card = next((c for c in cards.values() if c.party == signature.party), None)
    if card is None:
        return None
    try:
        return certified_signer(
            [*card.key_certificates, *certified],
            party=card.party,
            address=card.signing_key,
            master=card.master,
            signer=signature.sk,
            at=signature.signed_at,
        )
    except WrongSigner:
        return None


def _released(
    status: StatementStatus, found: object, cards: Mapping[bytes, PeerCard]
) -> ReleasedMessage | None:
    """The released message the file carries, checked against the drafts; None if none is due."""
    current = status.current
    target = current.releases
    due = target is not None and status.state is StatementState.IN_FORCE
    if found is None:
        if due:
            raise StatementInvalid("the statement released a marked message the file does not hold")
        return None
    if target is None or not due:
        raise StatementInvalid("the file holds a released message the statement did not release")
    if not isinstance(found, dict) or set(found) != {"envelope", "body"}:
        raise StatementInvalid("the released message is {envelope, body}")
    raw, body_bytes = found["envelope"], found["body"]
    if not isinstance(raw, bytes) or not isinstance(body_bytes, bytes):
        raise StatementInvalid("the released message's envelope and body are bytes")
    try:
        envelope = Envelope.decode(raw)
    except (CryptoError, DeliveryError) as exc:
        raise StatementInvalid(f"the released message's envelope: {exc}") from None
    header = envelope.header
    if header.message_id != target.message or envelope.hash.hex() != target.envelope_hash:
        raise StatementInvalid(
            f"the released message in the file is not message {target.message} with the "
            "envelope hash the statement names"
        )
    sender, recipient = cards.get(header.sender), cards.get(header.recipient)
    if sender is None or recipient is None:
        raise StatementInvalid(
            "the file holds no card of the released message's sender or recipient"
        )
    try:
        verify_envelope(envelope, sender_signing_key=sender.signing_key)
        check_body_commitment(envelope, body_bytes)
    except (CryptoError, DeliveryError) as exc:
        raise StatementInvalid(f"the released message from {sender.party}: {exc}") from None
    body = cbor2.loads(body_bytes)
    if not isinstance(body, dict):
        raise StatementInvalid("the released message's body is not a map")
    try:
        markings = Markings.from_body(body)
    except InvalidArgument as exc:
        raise StatementInvalid(f"the released message's markings: {exc}") from None
    if markings is None:
        raise StatementInvalid(f"message {target.message} carries no markings: nothing to release")
    drafter = current.party(status.first.drafter)
    if drafter is None or drafter.key not in (header.sender, header.recipient):
        raise StatementInvalid(
            f"{status.first.drafter} neither sent nor received message {target.message}"
        )
    text = body.get("text")
    return ReleasedMessage(
        id=header.message_id,
        sender=sender.party,
        recipient=recipient.party,
        sent_at=header.sent_at,
        serial=header.serial,
        time_group=header.time_group,
        markings=tuple(markings.lines()),
        text=text if isinstance(text, str) else "",
    )


def statement_html(audit: StatementAudit, *, file_name: str) -> str:
    """A printable page: each language's text, the signatures' fingerprints, how to verify."""
    if audit.status is None:
        raise StatementInvalid(audit.fault or "nothing to print")
    status, current = audit.status, audit.status.current
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(s.party)}</td><td>{e(s.person)}</td><td>{e(s.signed_at)}</td>"
        f"<td><code>{e(audit.fingerprints.get(s.party, ''))}</code></td>"
        f"<td><code>{s.person_key.hex()}</code></td></tr>"
        for s in audit.signatures
        if status.counted.get(s.party) == s
    )
    released = _released_html(audit)
    sections = "".join(
        f'<section lang="{e(lang)}" style="page-break-after: always">'
        f"<h1>{e(current.title)}</h1>"
        f"<p><small>{e(lang)}"
        + (" — authoritative" if current.authoritative == lang else "")
        + f"</small></p><div style='white-space: pre-wrap'>{e(text)}</div>{released}"
        f"<h2>Signatures</h2><table border='1' cellpadding='4'><tr><th>Party</th><th>Person</th>"
        f"<th>Signed at (UTC)</th><th>Party fingerprint</th><th>Person key</th></tr>{rows}</table>"
        f"<p>State: <strong>{e(str(status.state))}</strong>"
        + (f" since {e(status.in_force_at)}" if status.in_force_at else "")
        + f". Statement <code>{status.id}</code>, draft <code>{current.id}</code>.</p>"
        f"<p>Verify: <code>hotline audit {e(file_name)}</code></p></section>"
        for lang, text in current.texts
    )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{e(current.title)}</title></head><body>{sections}</body></html>\n"
    )


def _released_html(audit: StatementAudit) -> str:
    """The marked message the statement released, printed under each language's text.

    Each language is a page of its own for its signatories, so each shows what
    the statement made public: the message's id, sender, time group and text.
    """
    m = audit.released
    if m is None:
        return ""
    e = html.escape
    banner = "".join(f"<li>{e(line)}</li>" for line in m.markings)
    return (
        '<aside class="released" data-released="' + e(m.id) + '">'
        "<h2>Released message</h2>"
        f"<p>This statement releases marked message <code>{e(m.id)}</code> as of "
        f"{e(audit.released_as_of() or '')} (UTC).</p>"
        "<table border='1' cellpadding='4'><tr><th>Message id</th><th>Sender</th>"
        "<th>Recipient</th><th>Serial</th><th>Time group</th><th>Sent at (UTC)</th></tr>"
        f"<tr><td><code>{e(m.id)}</code></td><td>{e(m.sender)}</td><td>{e(m.recipient)}</td>"
        f"<td>{m.serial}</td><td>{e(m.time_group)}</td><td>{e(m.sent_at)}</td></tr></table>"
        f"<p>Marked, until this release:</p><ul>{banner}</ul>"
        "<p>Its text, as released:</p>"
        f"<blockquote style='white-space: pre-wrap'>{e(m.text)}</blockquote></aside>"
    )
