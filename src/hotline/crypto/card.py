"""Peer cards: the signed JSON document a party hands its peers out of band.

A card carries everything a peer needs to talk to a party: its name, its two
public keys, where to reach it, its local time zone, and its TLS certificate.
The party signs the card with its identity key, so a card cannot be altered in
transit without detection; but a card proves only that it is self-consistent,
not *whose* it is. That is what the :func:`fingerprint` is for: both operators
read it aloud over an independent channel before trusting the card, as with
Signal safety numbers.

The normative format is ``docs/protocol/cards.md``. In short::

    {"hotline_card": 1, "party": "Washington", "signing_key": "<b64url>",
     "encryption_key": "<b64url>", "routes": ["127.0.0.1:7001"],
     "timezone": "America/New_York", "certificate": "<b64url DER>",
     "signature": "<b64url>"}

Reading a card checks, in order: UTF-8, JSON, object, no duplicate keys,
version, field set, field types and encodings, field values, the signature,
and last the certificate (parses, its key is the signing key, Ed25519,
self-signed, its name is the party). Every failure is a :class:`CardInvalid` whose
message says what is wrong in words an operator can act on.

**Two tiers** (card version 2, docs/protocol/cards.md §8): a card may
also carry the party's *master key* and the key certificates
(:mod:`hotline.crypto.keycert`) of its current operational keys. Then the
master signs the card, the certificate is the master key's self-signed one
(the peers' TLS anchor), ``signing_key`` and ``encryption_key`` are the
certified operational keys, and the fingerprint is of the master key and the
party alone, so it does not change when operational keys are rotated. A card
without a master key is version 1 and reads as it always has: its one
identity key is its master and signs everything. A hotline that reads only
version 1 refuses a version-2 card with "unsupported card version 2".

Time zones are checked for shape only: this layer is pure and does not open
the tz database; the CLI checks that the zone exists.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import cbor2

from hotline.crypto.certificate import (
    certificate_party,
    certificate_public_key,
    make_self_signed_certificate,
    verify_self_signed,
)
from hotline.crypto.identity import (
    KEY_BYTES,
    SIGNATURE_BYTES,
    Identity,
    validate_party,
    verify_signature,
)
from hotline.crypto.keycert import KEY_KINDS, KeyCertificate
from hotline.crypto.signer import Signer
from hotline.errors import CardInvalid, InvalidArgument, SignatureInvalid

__all__ = [
    "CARD_DOMAIN",
    "CARD_VERSION",
    "CARD_VERSION_TWO_TIER",
    "FINGERPRINT_DOMAIN",
    "FINGERPRINT_DOMAIN_MASTER",
    "FINGERPRINT_ITERATIONS",
    "MAX_ROUTES",
    "PeerCard",
    "b64url_decode",
    "b64url_encode",
    "fingerprint",
    "master_fingerprint",
    "make_card",
    "parse_route",
    "validate_timezone",
]

CARD_VERSION = 1
CARD_VERSION_TWO_TIER = 2
CARD_DOMAIN = b"hotline-card-v1\x00"
FINGERPRINT_DOMAIN = b"hotline-fingerprint-v1\x00"
FINGERPRINT_DOMAIN_MASTER = b"hotline-fingerprint-master-v1\x00"
FINGERPRINT_ITERATIONS = 5200
MAX_ROUTES = 16
# A certificate from make_tls_certificate is about 400 bytes; the bound only
# stops a hostile card from making us parse megabytes.
_MAX_CERTIFICATE_BYTES = 4096

_FIELDS = (
    "hotline_card",
    "party",
    "signing_key",
    "encryption_key",
    "routes",
    "timezone",
    "certificate",
    "signature",
)
_FIELDS_TWO_TIER = (*_FIELDS, "master_key", "key_certificates")
_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")
_HOST_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_PORT = re.compile(r"^[1-9][0-9]{0,4}$")
_TIMEZONE = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9][A-Za-z0-9_+-]*)*$")
_MAX_TIMEZONE_LENGTH = 64
_SIGNATURE_MISMATCH = (
    "the signature does not match the card's contents: "
    "it was altered after signing or signed by another key"
)


# -- encodings ---------------------------------------------------------------


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 4648 §5), as cards write bytes."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict inverse of :func:`b64url_encode`; :class:`~hotline.errors.InvalidArgument` otherwise.

    Strict means canonical: no padding, no whitespace, and no stray bits in
    the last character. Without that last rule several strings decode to the
    same bytes, and an edited card could still carry a valid signature.
    """
    if not isinstance(text, str) or not _B64URL.match(text) or len(text) % 4 == 1:
        raise InvalidArgument("not base64url without padding")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidArgument("not base64url without padding") from exc
    if b64url_encode(data) != text:
        raise InvalidArgument("not canonical base64url (stray bits in the last character)")
    return data


# -- field rules -------------------------------------------------------------


def parse_route(route: str) -> tuple[str, int]:
    """Split ``HOST:PORT`` into host and port; :class:`~hotline.errors.InvalidArgument` if malformed.

    HOST is a dotted IPv4 address, a DNS hostname (RFC 1123 labels, not all
    digits in the last label), or ``[IPv6]``; the returned host has no
    brackets. PORT is 1-65535 without leading zeros.
    """
    if not isinstance(route, str):
        raise InvalidArgument(f"route {route!r} is not HOST:PORT")
    host, sep, port_text = route.rpartition(":")
    if not sep or not _PORT.match(port_text) or int(port_text) > 65535:
        raise InvalidArgument(f"route {route!r} is not HOST:PORT with a port from 1 to 65535")
    if host.startswith("[") and host.endswith("]"):
        try:
            return str(ipaddress.IPv6Address(host[1:-1])), int(port_text)
        except ValueError as exc:
            raise InvalidArgument(f"route {route!r} is not HOST:PORT: bad IPv6 address") from exc
    if not _is_ipv4(host) and not _is_hostname(host):
        raise InvalidArgument(
            f"route {route!r} is not HOST:PORT: the host must be an IPv4 address, "
            "a hostname, or [IPv6]"
        )
    return host, int(port_text)


def _is_ipv4(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


def _is_hostname(host: str) -> bool:
    if not 1 <= len(host) <= 253:
        return False
    labels = host.split(".")
    # An all-digit last label would be a mistyped IPv4 address ("10.0.0.300").
    return all(_HOST_LABEL.match(label) for label in labels) and not labels[-1].isdigit()


def validate_timezone(timezone: str) -> str:
    """Return ``timezone`` if it has the shape of an IANA zone name, else InvalidArgument.

    ``Europe/Moscow``, ``America/Argentina/Buenos_Aires``, ``Etc/GMT+5`` and
    ``UTC`` pass; whether the zone exists is the CLI's check.
    """
    if (
        not isinstance(timezone, str)
        or len(timezone) > _MAX_TIMEZONE_LENGTH
        or not _TIMEZONE.match(timezone)
    ):
        raise InvalidArgument(
            f"time zone {timezone!r} is not an IANA zone name like 'Europe/Moscow' or 'UTC'"
        )
    return timezone


def _validate_routes(routes: Sequence[str]) -> tuple[str, ...]:
    if isinstance(routes, str):
        raise InvalidArgument("routes must be a list of HOST:PORT strings, not one string")
    routes = tuple(routes)
    if not routes:
        raise InvalidArgument("a card needs at least one route")
    if len(routes) > MAX_ROUTES:
        raise InvalidArgument(f"a card has at most {MAX_ROUTES} routes, not {len(routes)}")
    for route in routes:
        parse_route(route)
    if len(set(routes)) != len(routes):
        raise InvalidArgument("a route is listed twice")
    return routes


def fingerprint(*, party: str, signing_key: bytes, encryption_key: bytes) -> str:
    """The human-comparable fingerprint of a party: 12 groups of 5 digits.

    As Signal's numeric fingerprint: start from ``FINGERPRINT_DOMAIN ||
    signing_key || encryption_key || party (UTF-8)``, then 5,200 times replace
    it by ``SHA-512(previous || signing_key || encryption_key)``. The slow
    iteration makes finding a second key pair with a matching fingerprint
    costlier. Of the final 64 bytes, the first 60 form 12 big-endian 5-byte
    chunks, each reduced mod 100000 and zero-padded to 5 digits.
    """
    return _stretch(FINGERPRINT_DOMAIN, bytes(signing_key) + bytes(encryption_key), party)


def master_fingerprint(*, party: str, master_key: bytes) -> str:
    """The fingerprint of a two-tier party: of its master key and name only.

    As :func:`fingerprint`, under ``FINGERPRINT_DOMAIN_MASTER`` and with the
    master key as the only key, so rotating operational keys never changes it.
    The domain differs from version 1's so that no master fingerprint can equal
    a version-1 fingerprint by construction.
    """
    return _stretch(FINGERPRINT_DOMAIN_MASTER, bytes(master_key), party)


def _stretch(domain: bytes, keys: bytes, party: str) -> str:
    digest = domain + keys + party.encode("utf-8")
    for _ in range(FINGERPRINT_ITERATIONS):
        digest = hashlib.sha512(digest + keys).digest()
    groups = (
        int.from_bytes(digest[offset : offset + 5], "big") % 100000 for offset in range(0, 60, 5)
    )
    return " ".join(f"{group:05d}" for group in groups)


# -- the card ----------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerCard:
    """A party's public card. Construction checks shape; :meth:`verify` checks it cryptographically.

    :meth:`from_json` and :func:`make_card` only ever return verified cards.
    """

    party: str
    signing_key: bytes
    encryption_key: bytes
    routes: tuple[str, ...]
    timezone: str
    certificate: bytes
    signature: bytes
    master_key: bytes | None = None
    """The master key of a two-tier card (version 2); ``None`` in version 1."""
    key_certificates: tuple[KeyCertificate, ...] = ()
    """A two-tier card's current operational keys, one per kind in ``KEY_KINDS`` order, but
    two of the signing kind after a signing rotation: the address's, then the current one's."""

    def __post_init__(self) -> None:
        if not isinstance(self.routes, tuple):
            raise CardInvalid("routes must be a tuple")
        self._check_tiers()
        try:
            validate_party(self.party)
            validate_timezone(self.timezone)
            _validate_routes(self.routes)
        except InvalidArgument as exc:
            raise CardInvalid(str(exc)) from exc
        for name, value, size in (
            ("signing_key", self.signing_key, KEY_BYTES),
            ("encryption_key", self.encryption_key, KEY_BYTES),
            ("signature", self.signature, SIGNATURE_BYTES),
        ):
            if not isinstance(value, bytes) or len(value) != size:
                raise CardInvalid(f"field '{name}' must be {size} bytes")
        if not isinstance(self.certificate, bytes) or not self.certificate:
            raise CardInvalid("field 'certificate' must be non-empty bytes")
        if len(self.certificate) > _MAX_CERTIFICATE_BYTES:
            raise CardInvalid(
                f"field 'certificate' is {len(self.certificate)} bytes, "
                f"over the {_MAX_CERTIFICATE_BYTES}-byte limit"
            )

    def _check_tiers(self) -> None:
        if self.master_key is None:
            if self.key_certificates:
                raise CardInvalid("key certificates need a master key (a version-2 card)")
            return
        if not isinstance(self.master_key, bytes) or len(self.master_key) != KEY_BYTES:
            raise CardInvalid(f"field 'master_key' must be {KEY_BYTES} bytes")
        if not isinstance(self.key_certificates, tuple) or not all(
            isinstance(item, KeyCertificate) for item in self.key_certificates
        ):
            raise CardInvalid("key_certificates must be a tuple of key certificates")
        kinds = [item.kind for item in self.key_certificates]
        # One per kind, but the signing kind may have two: the address's key and,
        # after a rotation, the key that signs now (docs/protocol/cards.md §9.2).
        signing = [item for item in self.key_certificates if item.kind == "signing"]
        expected = [kind for kind in KEY_KINDS if kind in kinds]
        if len(signing) == 2:
            expected.insert(0, "signing")
        if kinds != expected:
            raise CardInvalid(
                "field 'key_certificates' must hold at most one certificate per kind "
                "(two of the signing kind after a rotation), "
                f"in the order {', '.join(KEY_KINDS)}"
            )
        if len(signing) == 2 and signing[1].serial <= signing[0].serial:
            raise CardInvalid(
                "field 'key_certificates': the second signing certificate (the current key) "
                "must have a higher serial than the first (the address's)"
            )
        for item in self.key_certificates:
            if item.party != self.party or item.master_key != self.master_key:
                raise CardInvalid(
                    f"key certificate {item.key_id} is of another party or master key"
                )

    @property
    def version(self) -> int:
        """2 for a two-tier card (it has a master key), else 1."""
        return CARD_VERSION if self.master_key is None else CARD_VERSION_TWO_TIER

    @property
    def master(self) -> bytes:
        """The party's identity key: the master key, or a version-1 card's signing key.

        It signs the card and is the key of the card's certificate, which peers
        pin as their TLS anchor.
        """
        return self.signing_key if self.master_key is None else self.master_key

    def key_certificate(self, kind: str) -> KeyCertificate | None:
        """The certificate of the current ``kind`` operational key, if the card has one.

        For ``signing``, the address's (the card's ``signing_key``); the key that
        signs now, after a rotation, is :attr:`current_signing`.
        """
        for item in self.key_certificates:
            if item.kind == kind:
                return item
        return None

    @property
    def current_signing(self) -> KeyCertificate | None:
        """The certificate of the signing key that signs now: the second signing certificate
        of a card made after a signing rotation, else the address's (None: no certificate).
        """
        signing = [item for item in self.key_certificates if item.kind == "signing"]
        return signing[-1] if signing else None

    def signed_bytes(self) -> bytes:
        """What the card's signature covers: ``CARD_DOMAIN || canonical CBOR``."""
        return _signed_bytes(
            party=self.party,
            signing_key=self.signing_key,
            encryption_key=self.encryption_key,
            routes=self.routes,
            timezone=self.timezone,
            certificate=self.certificate,
            master_key=self.master_key,
            key_certificates=self.key_certificates,
        )

    def verify(self) -> None:
        """Check the signature, then the certificate; :class:`CardInvalid` if wrong.

        The signature comes first so that any edit to a signed card is reported
        as what it is, tampering, rather than as whichever inconsistency the
        edit happened to create.
        """
        try:
            verify_signature(self.master, self.signature, self.signed_bytes())
        except SignatureInvalid as exc:
            raise CardInvalid(_SIGNATURE_MISMATCH) from exc
        if certificate_public_key(self.certificate) != self.master:
            raise CardInvalid(
                "the certificate's key is not the card's "
                + ("signing key" if self.master_key is None else "master key")
            )
        verify_self_signed(self.certificate)
        if certificate_party(self.certificate) != self.party:
            raise CardInvalid("the certificate's name is not the card's party")
        for item in self.key_certificates:
            item.verify()
        self._check_operational_keys()

    def _check_operational_keys(self) -> None:
        if self.master_key is None:
            return
        # No signing certificate: the master signs, as in version 1.
        signing = self.key_certificate("signing")
        expected = self.master_key if signing is None else signing.public_key
        if self.signing_key != expected:
            raise CardInvalid(
                "the card's signing key is not the one its key certificates name"
                if signing is not None
                else "the card has no signing-key certificate, so its signing key must be "
                "the master key"
            )
        encryption = self.key_certificate("encryption")
        if encryption is not None and encryption.public_key != self.encryption_key:
            raise CardInvalid("the card's encryption key is not the one its key certificates name")

    @property
    def fingerprint(self) -> str:
        """See :func:`fingerprint` (version 1) and :func:`master_fingerprint` (two tiers)."""
        if self.master_key is not None:
            return master_fingerprint(party=self.party, master_key=self.master_key)
        return fingerprint(
            party=self.party, signing_key=self.signing_key, encryption_key=self.encryption_key
        )

    def to_json(self) -> str:
        """The card as pretty JSON with sorted keys and a trailing newline."""
        document: dict[str, Any] = {
            "hotline_card": self.version,
            "party": self.party,
            "signing_key": b64url_encode(self.signing_key),
            "encryption_key": b64url_encode(self.encryption_key),
            "routes": list(self.routes),
            "timezone": self.timezone,
            "certificate": b64url_encode(self.certificate),
            "signature": b64url_encode(self.signature),
        }
        if self.master_key is not None:
            document["master_key"] = b64url_encode(self.master_key)
            document["key_certificates"] = [
                b64url_encode(item.encode()) for item in self.key_certificates
            ]
        return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> PeerCard:
        """Parse and verify a card; :class:`CardInvalid` naming what is wrong."""
        document = _parse_document(text)
        card = cls(
            party=_text_field(document, "party"),
            signing_key=_bytes_field(document, "signing_key"),
            encryption_key=_bytes_field(document, "encryption_key"),
            routes=_routes_field(document),
            timezone=_text_field(document, "timezone"),
            certificate=_bytes_field(document, "certificate"),
            signature=_bytes_field(document, "signature"),
            **_tier_fields(document),
        )
        card.verify()
        return card


def make_card(
    identity: Identity,
    *,
    routes: Sequence[str],
    timezone: str,
    master: Signer | None = None,
    key_certificates: Sequence[KeyCertificate] = (),
) -> PeerCard:
    """Our own signed card. Raises :class:`~hotline.errors.InvalidArgument` for a bad route or time zone.

    With ``master`` (the master key's signer) the card has two tiers
    (version 2): the master signs it and its certificate is the master's,
    ``identity``'s keys are the operational ones, and ``key_certificates``
    are their certificates (:class:`CardInvalid` if they do not match): after
    a signing rotation, the address's signing certificate and the current
    one's, in that order.
    Without, a version-1 card signed by ``identity``'s one key.
    """
    checked_routes = _validate_routes(routes)
    validate_timezone(timezone)
    if master is None and key_certificates:
        raise InvalidArgument("key certificates need the master key that issued them")
    card_signer = identity.signer if master is None else master
    # A stable sort: two signing certificates keep their order (the address's first).
    ordered = tuple(sorted(key_certificates, key=lambda item: KEY_KINDS.index(item.kind)))
    unsigned = PeerCard(
        party=identity.party,
        signing_key=identity.signing_public,
        encryption_key=identity.encryption_public,
        routes=checked_routes,
        timezone=timezone,
        certificate=make_self_signed_certificate(identity.party, card_signer),
        signature=bytes(SIGNATURE_BYTES),
        master_key=None if master is None else master.public_key,
        key_certificates=ordered,
    )
    card = replace(unsigned, signature=card_signer.sign(unsigned.signed_bytes()))
    card.verify()
    return card


def _signed_bytes(
    *,
    party: str,
    signing_key: bytes,
    encryption_key: bytes,
    routes: tuple[str, ...],
    timezone: str,
    certificate: bytes,
    master_key: bytes | None,
    key_certificates: tuple[KeyCertificate, ...],
) -> bytes:
    payload: dict[str, Any] = {
        "hotline_card": CARD_VERSION,
        "party": party,
        "signing_key": signing_key,
        "encryption_key": encryption_key,
        "routes": list(routes),
        "timezone": timezone,
        "certificate": certificate,
    }
    if master_key is not None:
        payload["hotline_card"] = CARD_VERSION_TWO_TIER
        payload["master_key"] = master_key
        payload["key_certificates"] = [item.encode() for item in key_certificates]
    return CARD_DOMAIN + cbor2.dumps(payload, canonical=True)


# -- JSON parsing ------------------------------------------------------------


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            # Two values for one field: which one did the signer mean?
            raise CardInvalid(f"field '{key}' appears twice")
        result[key] = value
    return result


def _parse_document(text: str | bytes) -> dict[str, Any]:
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CardInvalid("the card is not UTF-8 text") from exc
    if not isinstance(text, str):
        raise CardInvalid("the card is not text")
    # Editors on some systems prepend a byte-order mark; it is not content.
    text = text.removeprefix("\ufeff")
    try:
        document = json.loads(text, object_pairs_hook=_reject_duplicates)
    except CardInvalid:
        raise
    except (ValueError, RecursionError) as exc:
        raise CardInvalid(f"the card is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise CardInvalid("the card is not a JSON object")
    if "hotline_card" not in document:
        raise CardInvalid("not a hotline card: missing field 'hotline_card'")
    version = document["hotline_card"]
    if type(version) is not int:
        raise CardInvalid("field 'hotline_card' must be the integer version 1 or 2")
    if version not in (CARD_VERSION, CARD_VERSION_TWO_TIER):
        raise CardInvalid(
            f"unsupported card version {version}: this hotline reads versions "
            f"{CARD_VERSION} and {CARD_VERSION_TWO_TIER}"
        )
    fields = _FIELDS if version == CARD_VERSION else _FIELDS_TWO_TIER
    for name in fields:
        if name not in document:
            raise CardInvalid(f"missing field '{name}'")
    for name in sorted(document):
        if name not in fields:
            # Unsigned extra data would ride along with a valid signature.
            raise CardInvalid(f"unknown field '{name}'")
    return document


def _text_field(document: dict[str, Any], name: str) -> str:
    value = document[name]
    if not isinstance(value, str):
        raise CardInvalid(f"field '{name}' must be a string")
    return value


def _bytes_field(document: dict[str, Any], name: str) -> bytes:
    value = _text_field(document, name)
    try:
        return b64url_decode(value)
    except InvalidArgument as exc:
        raise CardInvalid(f"field '{name}' is {exc}") from exc


def _routes_field(document: dict[str, Any]) -> tuple[str, ...]:
    value = document["routes"]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise CardInvalid("field 'routes' must be a list of HOST:PORT strings")
    return tuple(value)


def _tier_fields(document: dict[str, Any]) -> dict[str, Any]:
    if document["hotline_card"] == CARD_VERSION:
        return {}
    value = document["key_certificates"]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise CardInvalid("field 'key_certificates' must be a list of base64url strings")
    certificates = []
    for item in value:
        try:
            certificates.append(KeyCertificate.decode(b64url_decode(item)))
        except InvalidArgument as exc:
            raise CardInvalid(f"field 'key_certificates' holds {exc}") from exc
    return {
        "master_key": _bytes_field(document, "master_key"),
        "key_certificates": tuple(certificates),
    }
