"""Peer cards: JSON round trip, verification, clear refusals, fingerprints, tampering."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.crypto import (
    Identity,
    PeerCard,
    b64url_decode,
    b64url_encode,
    fingerprint,
    make_card,
    make_tls_certificate,
    parse_route,
    validate_timezone,
)
from hotline.errors import CardInvalid, InvalidArgument

FINGERPRINT = re.compile(r"^(\d{5} ){11}\d{5}$")
SIGNATURE_MESSAGE = (
    "the signature does not match the card's contents: "
    "it was altered after signing or signed by another key"
)
B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@pytest.fixture(scope="module")
def card(moscow: Identity) -> PeerCard:
    return make_card(
        moscow, routes=["127.0.0.1:7001", "hotline.example.org:443"], timezone="Europe/Moscow"
    )


def _document(card: PeerCard) -> dict[str, Any]:
    document = json.loads(card.to_json())
    assert isinstance(document, dict)
    return document


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _refused(text: str | bytes) -> str:
    with pytest.raises(CardInvalid) as info:
        PeerCard.from_json(text)
    return str(info.value)


# -- round trip and format ---------------------------------------------------


def test_card_round_trip(card: PeerCard, moscow: Identity) -> None:
    text = card.to_json()
    again = PeerCard.from_json(text)
    assert again == card
    assert PeerCard.from_json(text.encode()) == card
    assert again.signing_key == moscow.signing_public
    assert again.encryption_key == moscow.encryption_public
    assert again.routes == ("127.0.0.1:7001", "hotline.example.org:443")
    assert again.certificate == make_tls_certificate(moscow)


def test_to_json_is_pretty_sorted_with_newline(card: PeerCard) -> None:
    text = card.to_json()
    assert text.endswith("}\n")
    assert text.startswith('{\n  "certificate": ')
    document = json.loads(text)
    assert list(document) == sorted(document)
    assert document["hotline_card"] == 1
    assert set(document) == {
        "hotline_card",
        "party",
        "signing_key",
        "encryption_key",
        "routes",
        "timezone",
        "certificate",
        "signature",
    }
    assert b64url_decode(document["signing_key"]) == card.signing_key
    assert "=" not in document["signature"]


def test_make_card_is_deterministic(moscow: Identity, card: PeerCard) -> None:
    again = make_card(
        moscow, routes=("127.0.0.1:7001", "hotline.example.org:443"), timezone="Europe/Moscow"
    )
    assert again.to_json() == card.to_json()


def test_card_accepts_byte_order_mark(card: PeerCard) -> None:
    assert PeerCard.from_json("\ufeff" + card.to_json()) == card


def test_unicode_party_card(card: PeerCard) -> None:
    identity = Identity.from_private_bytes("Москва", bytes(range(32)), bytes(range(32)))
    russian = make_card(identity, routes=["[::1]:7001"], timezone="Europe/Moscow")
    text = russian.to_json()
    assert '"party": "Москва"' in text
    assert PeerCard.from_json(text) == russian


# -- fingerprints ------------------------------------------------------------


def test_fingerprint_format(card: PeerCard) -> None:
    assert FINGERPRINT.match(card.fingerprint)
    assert card.fingerprint == fingerprint(
        party=card.party, signing_key=card.signing_key, encryption_key=card.encryption_key
    )


def test_fingerprint_depends_on_every_input(card: PeerCard) -> None:
    base: dict[str, Any] = {
        "party": card.party,
        "signing_key": card.signing_key,
        "encryption_key": card.encryption_key,
    }
    reference = fingerprint(**base)
    for field, other in (
        ("party", "Moskva"),
        ("signing_key", bytes(32)),
        ("encryption_key", bytes(32)),
    ):
        assert fingerprint(**{**base, field: other}) != reference
    # Swapping the two keys is a different identity, not the same one.
    swapped = {**base, "signing_key": card.encryption_key, "encryption_key": card.signing_key}
    assert fingerprint(**swapped) != reference


@settings(max_examples=25)  # 5,200 SHA-512 rounds each
@given(
    party=st.text(alphabet="abcXYZ -_.", min_size=1, max_size=8),
    keys=st.binary(min_size=64, max_size=64),
)
def test_fingerprint_always_has_twelve_groups(party: str, keys: bytes) -> None:
    value = fingerprint(party=party, signing_key=keys[:32], encryption_key=keys[32:])
    assert FINGERPRINT.match(value)


# -- base64url ---------------------------------------------------------------


@given(st.binary(max_size=80))
def test_b64url_round_trip(data: bytes) -> None:
    text = b64url_encode(data)
    assert "=" not in text
    assert b64url_decode(text) == data


@pytest.mark.parametrize("text", ["AB=", "A", "AB+/", "AB CD", "AB\n", "AB", "AAB"])
def test_b64url_rejects_non_canonical(text: str) -> None:
    # "AB" and "AAB" carry stray bits in their last character.
    with pytest.raises(InvalidArgument):
        b64url_decode(text)


# -- routes and time zones ---------------------------------------------------


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        ("127.0.0.1:7001", ("127.0.0.1", 7001)),
        ("hotline.example.org:443", ("hotline.example.org", 443)),
        ("localhost:1", ("localhost", 1)),
        ("[::1]:65535", ("::1", 65535)),
        ("[2001:db8::7]:7001", ("2001:db8::7", 7001)),
        ("a-b.c-d:80", ("a-b.c-d", 80)),
    ],
)
def test_parse_route_valid(route: str, expected: tuple[str, int]) -> None:
    assert parse_route(route) == expected


@pytest.mark.parametrize(
    "route",
    [
        "",
        "127.0.0.1",
        "127.0.0.1:",
        ":7001",
        "127.0.0.1:0",
        "127.0.0.1:65536",
        "127.0.0.1:07001",
        "127.0.0.1:+70",
        "::1:7001",
        "[::1:7001",
        "[zz::1]:7001",
        "10.0.0.300:7001",
        "-bad.example:7001",
        "bad-.example:7001",
        "under_score.example:7001",
        "exa mple:7001",
        "host.:7001",
        "a" * 64 + ".example:7001",
    ],
)
def test_parse_route_invalid(route: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_route(route)


@pytest.mark.parametrize(
    "zone",
    ["UTC", "Europe/Moscow", "America/New_York", "America/Argentina/Buenos_Aires", "Etc/GMT+5"],
)
def test_timezone_shape_valid(zone: str) -> None:
    assert validate_timezone(zone) == zone


@pytest.mark.parametrize(
    "zone", ["", "/Europe", "Europe/", "Europe//Moscow", "../etc/passwd", "Europe Moscow", "x" * 65]
)
def test_timezone_shape_invalid(zone: str) -> None:
    with pytest.raises(InvalidArgument):
        validate_timezone(zone)


@pytest.mark.parametrize(
    ("routes", "timezone", "message"),
    [
        ([], "UTC", "at least one route"),
        (["nope"], "UTC", "route 'nope' is not HOST:PORT"),
        (["a:1", "a:1"], "UTC", "listed twice"),
        ([f"h{i}:1" for i in range(17)], "UTC", "at most 16"),
        ("a:1", "UTC", "not one string"),
        (["a:1"], "Not A Zone", "IANA"),
    ],
)
def test_make_card_rejects_bad_settings(
    moscow: Identity, routes: Any, timezone: str, message: str
) -> None:
    with pytest.raises(InvalidArgument, match=message):
        make_card(moscow, routes=routes, timezone=timezone)


# -- refusals with clear messages --------------------------------------------


def test_tampered_route_is_refused_with_the_signature_message(card: PeerCard) -> None:
    document = _document(card)
    document["routes"] = ["203.0.113.9:7001"]
    assert _refused(_dump(document)) == SIGNATURE_MESSAGE


def test_tampered_party_is_refused_with_the_signature_message(card: PeerCard) -> None:
    document = _document(card)
    document["party"] = "Washington"
    assert _refused(_dump(document)) == SIGNATURE_MESSAGE


def test_card_signed_by_another_key_is_refused(card: PeerCard, mallory: Identity) -> None:
    forged = dataclasses.replace(card, signature=mallory.sign(card.signed_bytes()))
    assert _refused(forged.to_json()) == SIGNATURE_MESSAGE


def test_certificate_of_another_key_is_refused(
    card: PeerCard, moscow: Identity, mallory: Identity
) -> None:
    # Correctly signed by Moscow, but carrying Mallory's certificate.
    swapped = dataclasses.replace(card, certificate=make_tls_certificate(mallory))
    resigned = dataclasses.replace(swapped, signature=moscow.sign(swapped.signed_bytes()))
    assert _refused(resigned.to_json()) == "the certificate's key is not the card's signing key"


def test_certificate_with_another_name_is_refused(card: PeerCard, moscow: Identity) -> None:
    renamed = Identity(
        party="Kremlin", signing_key=moscow.signing_key, encryption_key=moscow.encryption_key
    )
    swapped = dataclasses.replace(card, certificate=make_tls_certificate(renamed))
    resigned = dataclasses.replace(swapped, signature=moscow.sign(swapped.signed_bytes()))
    assert _refused(resigned.to_json()) == "the certificate's name is not the card's party"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.pop("routes"), "missing field 'routes'"),
        (lambda d: d.pop("signature"), "missing field 'signature'"),
        (lambda d: d.pop("hotline_card"), "missing field 'hotline_card'"),
        (lambda d: d.update(extra="x"), "unknown field 'extra'"),
        (lambda d: d.update(hotline_card=3), "unsupported card version 3"),
        (lambda d: d.update(hotline_card=True), "integer version"),
        (lambda d: d.update(hotline_card="1"), "integer version"),
        (lambda d: d.update(routes=["x"]), "route 'x' is not HOST:PORT"),
        (lambda d: d.update(routes=[]), "at least one route"),
        (lambda d: d.update(routes="127.0.0.1:1"), "list of HOST:PORT"),
        (lambda d: d.update(routes=[7001]), "list of HOST:PORT"),
        (lambda d: d.update(party=""), "party name"),
        (lambda d: d.update(party=7), "field 'party' must be a string"),
        (lambda d: d.update(timezone="Moscow time"), "IANA"),
        (lambda d: d.update(signing_key="AAAA"), "field 'signing_key' must be 32 bytes"),
        (lambda d: d.update(signature=d["signature"] + "="), "field 'signature' is not base64url"),
        (lambda d: d.update(certificate="AAAA"), SIGNATURE_MESSAGE),
    ],
)
def test_malformed_card_messages(card: PeerCard, edit: Any, message: str) -> None:
    document = _document(card)
    edit(document)
    assert message in _refused(_dump(document))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not JSON"),
        ("{", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('"card"', "not a JSON object"),
        ("{}", "missing field 'hotline_card'"),
        (b"\xff\xfe", "not UTF-8"),
        ('{"hotline_card": 1, "hotline_card": 1}', "appears twice"),
        ("[" * 100000 + "]" * 100000, "not JSON"),
    ],
)
def test_unreadable_card_messages(text: str | bytes, message: str) -> None:
    assert message in _refused(text)


def test_certificate_not_parseable_is_reported(card: PeerCard, moscow: Identity) -> None:
    broken = dataclasses.replace(card, certificate=b"\x30\x00")
    resigned = dataclasses.replace(broken, signature=moscow.sign(broken.signed_bytes()))
    assert "not a parseable X.509" in _refused(resigned.to_json())


def test_constructor_validates_shapes(card: PeerCard) -> None:
    with pytest.raises(CardInvalid):
        dataclasses.replace(card, signing_key=b"short")
    with pytest.raises(CardInvalid):
        dataclasses.replace(card, routes=["127.0.0.1:1"])  # type: ignore[arg-type]
    with pytest.raises(CardInvalid):
        dataclasses.replace(card, certificate=b"")
    with pytest.raises(CardInvalid):
        dataclasses.replace(card, certificate=b"x" * 5000)


# -- tampering: every character of every field --------------------------------


def _other_char(char: str, alphabet: str) -> str:
    index = alphabet.find(char)
    return alphabet[(index + 1) % len(alphabet)] if index >= 0 else "x"


def test_every_single_character_edit_of_every_field_is_refused(card: PeerCard) -> None:
    document = _document(card)
    checked = 0
    for field, value in document.items():
        values = value if isinstance(value, list) else [value]
        for position, item in enumerate(values):
            text = str(item)
            alphabet = (
                B64_ALPHABET
                if field in {"signing_key", "encryption_key", "certificate", "signature"}
                else ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./:")
            )
            for index in range(len(text)):
                edited = text[:index] + _other_char(text[index], alphabet) + text[index + 1 :]
                tampered = dict(document)
                new_value: Any = int(edited) if isinstance(item, int) else edited
                if isinstance(value, list):
                    tampered[field] = [*values[:position], new_value, *values[position + 1 :]]
                else:
                    tampered[field] = new_value
                with pytest.raises(CardInvalid):
                    PeerCard.from_json(_dump(tampered))
                checked += 1
    assert checked > 600  # the certificate, keys and signature alone are over 600 characters


@pytest.mark.parametrize("mask", [0x01, 0x80])
def test_every_single_byte_flip_of_the_json_is_refused(card: PeerCard, mask: int) -> None:
    data = card.to_json().encode()
    for index in range(len(data)):
        flipped = bytearray(data)
        flipped[index] ^= mask
        with pytest.raises(CardInvalid):
            PeerCard.from_json(bytes(flipped))
