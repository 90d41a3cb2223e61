"""The joint-statement model: canonical drafts, ids, signatures, and the derived state."""

from __future__ import annotations

import dataclasses
import unicodedata

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.crypto import Identity
from hotline.errors import StatementInvalid
from hotline.terminal.core.joint import (
    STATEMENTS,
    StatementDraft,
    StatementEvent,
    StatementParty,
    StatementSignature,
    StatementState,
    derive,
    sign_draft,
    statement_id,
)

PARTIES = {name: Identity.generate(name) for name in ("Washington", "London", "Paris")}
PEOPLE = {name: Identity.generate(f"p-{name}") for name in PARTIES}
T0 = "2026-01-01T00:00:00.000000Z"


def _parties() -> tuple[StatementParty, ...]:
    return tuple(
        sorted(
            (StatementParty(party=n, key=i.signing_public) for n, i in PARTIES.items()),
            key=lambda p: p.key,
        )
    )


def _draft(**overrides: object) -> StatementDraft:
    fields: dict[str, object] = {
        "conference": "c" * 32,
        "title": "Joint statement",
        "parties": _parties(),
        "k": 3,
        "effective": None,
        "expires": None,
        "texts": (("en", "Restraint."), ("fr", "Retenue.")),
        "authoritative": None,
        "previous": None,
        "drafter": "Washington",
        "drafted_at": T0,
    }
    fields.update(overrides)
    return StatementDraft(**fields)  # type: ignore[arg-type]


def _sign(
    draft: StatementDraft, party: str, at: str = "2026-01-01T01:00:00.000000Z", person: str = ""
) -> StatementSignature:
    who = PEOPLE[party] if not person else Identity.generate(person)
    return sign_draft(
        draft.id,
        party=party,
        person=person or f"p-{party}",
        person_key=who.signing_public,
        person_sign=who.sign,
        party_sign=PARTIES[party].sign,
        signed_at=at,
    )


_TEXT = (
    st.text(min_size=1, max_size=200)
    .map(lambda t: unicodedata.normalize("NFC", t))
    .filter(lambda t: bool(t.strip()))
)


@settings(max_examples=60, deadline=None)
@given(
    texts=st.dictionaries(st.sampled_from(["en", "fr", "ru", "id", "pt-BR"]), _TEXT, min_size=1),
    title=st.text(min_size=1, max_size=50).filter(lambda t: t.strip()),
    k=st.integers(min_value=1, max_value=3),
)
def test_a_draft_round_trips_and_its_id_is_the_hash_of_its_bytes(
    texts: dict[str, str], title: str, k: int
) -> None:
    draft = _draft(texts=tuple(sorted(texts.items())), title=title, k=k)
    data = draft.encode()
    assert StatementDraft.decode(data) == draft
    assert draft.id == statement_id(data)
    assert StatementDraft.decode(data).id == draft.id


def test_a_non_canonical_or_broken_draft_is_refused() -> None:
    draft = _draft()
    shuffled = bytes(cbor2.dumps(dict(reversed(list(draft.to_map().items())))))
    with pytest.raises(StatementInvalid, match="canonical"):
        StatementDraft.decode(shuffled)
    with pytest.raises(StatementInvalid):
        _draft(k=4)
    with pytest.raises(StatementInvalid):
        _draft(authoritative="ru")
    with pytest.raises(StatementInvalid):
        _draft(texts=(("en", "Cafe\u0301"),))  # not NFC
    with pytest.raises(StatementInvalid):
        _draft(drafter="Moscow")


def test_only_signatures_on_the_current_draft_count_each_party_once() -> None:
    first = _draft(k=2)
    second = first.revised(
        texts={"fr": "Calme."}, drafter="Paris", drafted_at="2026-01-01T02:00:00.000000Z"
    )
    on_first = _sign(first, "London")
    london_twice = [
        _sign(second, "London", "2026-01-01T03:00:00.000000Z"),
        _sign(second, "London", "2026-01-01T03:01:00.000000Z", person="deputy"),
    ]
    for s in (on_first, *london_twice):
        s.verify(first if s.draft == first.id else second)
    status = derive([first, second], [on_first, *london_twice], now="2026-01-02T00:00:00.000000Z")
    assert status.state is StatementState.SIGNED
    assert set(status.counted) == {"London"}
    paris = _sign(second, "Paris", "2026-01-01T04:00:00.000000Z")
    status = derive(
        [first, second], [on_first, *london_twice, paris], now="2026-01-02T00:00:00.000000Z"
    )
    assert status.state is StatementState.IN_FORCE
    assert status.in_force_at == "2026-01-01T04:00:00.000000Z"
    with pytest.raises(StatementInvalid):
        on_first.verify(second)
    with pytest.raises(StatementInvalid, match="endorsement"):
        dataclasses.replace(paris, signed_at="2026-01-01T05:00:00.000000Z").verify(second)


def test_withdrawal_and_expiry() -> None:
    draft = _draft(expires="2026-01-01T06:00:00.000000Z")
    late = _sign(draft, "London", "2026-01-01T07:00:00.000000Z")
    assert (
        derive([draft], [late], now="2026-01-01T05:00:00.000000Z").state
        is StatementState.CIRCULATING
    )
    assert (
        derive([draft], [late], now="2026-01-01T06:00:00.000000Z").state is StatementState.EXPIRED
    )
    withdrawn = derive([draft], [], now=T0, withdrawn_at="2026-01-01T00:30:00.000000Z")
    assert withdrawn.state is StatementState.WITHDRAWN
    assert not STATEMENTS.allows(StatementState.IN_FORCE, StatementEvent.REVISED)
