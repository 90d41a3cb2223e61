"""Which key signs for a peer: its address, or a signing key its master certified later.

A party's **address** is its first signing key (the one on the card it was
added with). It names the party in every envelope's and receipt's
``"from"``/``"to"``, in the peers table, the serial directions and the
record's log name, for good. After the party rotates its signing key
(docs/keys.md, "Rotation") it signs with another key and says which in the
optional ``"sk"`` field. :meth:`Signers.signing_key_for` is the one place
every live verifier (inbox, receipts, link tests, witnessing) asks which key
to verify with:

- no ``"sk"``: the address;
- an ``"sk"``: it must be a signing key of that party certified by the
  master key pinned for it (its card's certificates and those its key events
  brought, table ``peer_key_certificates``), valid at the signature's time;
  anything else is :class:`~hotline.errors.WrongSigner`. After a confirmed
  master change, the old master's certificates issued before the change
  count too (:func:`earlier_masters`);
- and, for a live terminal's resolver (built with its
  :class:`~hotline.terminal.core.revocations.RevokedKeys`), the key must not
  be one the party revoked: :class:`~hotline.errors.KeyRevoked` otherwise
  (docs/keys.md, "Revocation"). So every live verifier refuses a revoked key
  by asking this one question, once; the offline checks (``verify``,
  ``audit``) build theirs without revocations, since they *flag* what a
  revoked key signed instead of refusing it.

:func:`certified_signer` is the same rule over a list of certificates, for
the offline checks (``hotline verify``, ``audit``) that have no store.

**Validity periods** (docs/keys.md, "Validity periods"): a two-tier peer's
address is certified too (its card carries the certificate); a signature it
claims to have made at or after that certificate's ``not_after`` is refused
like one by an uncertified key (its ``not_before`` is not applied to the
address: a peer's clock a little behind ours must not refuse everything just
after its ``init``). A single-tier peer has no certificates: nothing to check.
The same cache answers whether the peer's encryption key we seal to
(:meth:`Signers.sealing_problem`) and the TLS key it presents
(:meth:`Signers.tls_problem`) are past their certificates' ``not_after``.

The certificates of a peer are read once and kept (the hot path costs a dict
lookup); the keys desk calls :meth:`Signers.forget` when it stores a new one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from hotline.crypto import KeyCertificate, MasterTransition, PeerCard
from hotline.errors import CardInvalid, KeyRevoked, WrongSigner
from hotline.store import PeerMasterChange, PeerRecord, Store
from hotline.terminal.config.tiers import peer_master
from hotline.terminal.core.revocations import RevokedKeys
from hotline.utc import format_utc, from_epoch, parse_utc

__all__ = [
    "Signers",
    "certified_signer",
    "earlier_masters",
    "own_masters",
    "signing_certificates",
]

_FOREVER = 2**63 - 1

#: (not_before, not_after) of each certified signing key of one party, by key.
_Validity = dict[bytes, tuple[int, int]]


@dataclass(frozen=True, slots=True)
class _Held:
    """What the certificates of one peer say, read once."""

    signing: _Validity
    #: The certificates of its encryption and TLS keys, by public key.
    others: dict[bytes, KeyCertificate]


def signing_certificates(
    certificates: Iterable[KeyCertificate],
    *,
    party: str,
    master: bytes,
    earlier: Mapping[bytes, int] | None = None,
) -> _Validity:
    """The signing keys among ``certificates`` that ``master`` certified for ``party``.

    ``earlier`` maps each of the party's earlier master keys (a master change,
    docs/keys.md §7b) to the time it handed the identity on (its transition's
    ``at``): a certificate one of them issued counts if it was issued by then,
    so what a rotated key signed before the change keeps verifying, and a
    leaked old master cannot certify a key afterwards.
    """
    handed_on = {} if earlier is None else earlier
    validity: _Validity = {}
    for item in certificates:
        if item.kind != "signing" or item.party != party:
            continue
        until = handed_on.get(item.master_key)
        if item.master_key == master or (until is not None and item.not_before <= until):
            # A key certified by several masters: the widest window of them.
            held = validity.get(item.public_key)
            window = (item.not_before, item.not_after)
            if held is not None:
                window = (min(held[0], window[0]), max(held[1], window[1]))
            validity[item.public_key] = window
    return validity


def earlier_masters(changes: Iterable[PeerMasterChange]) -> dict[bytes, int]:
    """A peer's earlier masters, from its **confirmed** master changes, with their handover time.

    A pending change does not count: until its new fingerprint is checked,
    the new master is not the party's.
    """
    earlier: dict[bytes, int] = {}
    for change in changes:
        if not change.pending:
            earlier[change.old_master] = MasterTransition.decode(change.transition).at
    return earlier


def own_masters(
    certificates: Sequence[KeyCertificate], *, fallback: bytes
) -> tuple[bytes, dict[bytes, int]]:
    """Our master and our earlier ones, from our own certificates, every master's, oldest first.

    The newest certificate's master is the current one (``fallback`` when
    there are none: a single-tier terminal's identity key). Our earlier
    masters' certificates are our own files (``keys/certificates-N.cbor``), so
    they count without a time bound.
    """
    if not certificates:
        return fallback, {}
    master = certificates[-1].master_key
    return master, {c.master_key: _FOREVER for c in certificates if c.master_key != master}


def _seconds(at: str | datetime) -> int:
    moment = parse_utc(at) if isinstance(at, str) else at
    return int(moment.timestamp())


def _after(at: str | datetime, limit: int) -> bool:
    """Whether ``at`` is at or after ``limit`` (Unix seconds); an unreadable time is."""
    try:
        return _seconds(at) >= limit
    except ValueError:
        return True


def _check(validity: _Validity, party: str, signer: bytes, at: str | datetime) -> bytes:
    window = validity.get(signer)
    if window is None:
        raise WrongSigner(f"signed by a key that is not a signing key certified for {party}")
    seconds = _seconds(at)
    if not window[0] <= seconds < window[1]:
        raise WrongSigner(
            f"signed by a signing key of {party} that was not certified at {at} "
            "(outside its validity)"
        )
    return signer


def certified_signer(
    certificates: Iterable[KeyCertificate],
    *,
    party: str,
    address: bytes,
    master: bytes,
    signer: bytes | None,
    at: str | datetime,
    earlier: Mapping[bytes, int] | None = None,
) -> bytes:
    """The key to verify a signature of ``party`` with: ``address``, or a certified ``signer``.

    ``signer`` is the ``"sk"`` of what was signed (None: the address signed);
    ``at`` its signing time. :class:`WrongSigner` if ``signer`` is not a
    signing key ``master`` (or one of its ``earlier`` masters, before it handed
    on: :func:`signing_certificates`) certified for ``party`` valid at ``at``.
    """
    if signer is None or signer == address:
        return address
    validity = signing_certificates(certificates, party=party, master=master, earlier=earlier)
    return _check(validity, party, signer, at)


class Signers:
    """The certified signing keys of each peer, read from the store and kept."""

    def __init__(self, store: Store, *, revoked: RevokedKeys | None = None) -> None:
        """``revoked``: the live terminal's revocations, refused here (None: not checked)."""
        self._store = store
        self._keys: dict[str, _Held] = {}
        self._revoked = revoked

    def signing_key_for(
        self, peer: PeerRecord, signer: bytes | None, at: str | datetime | None
    ) -> bytes:
        """The key to verify ``peer``'s signature with (see the module docstring).

        ``signer`` is the ``"sk"`` field (None when absent), ``at`` the time
        the signature claims (an envelope's ``"at"``, a receipt's); None for a
        signature that claims none (a checkpoint): no validity window then.
        :class:`KeyRevoked` if the party revoked the key.
        """
        key = self.certified_key_for(peer, signer, at)
        if self._revoked is not None:
            # One dictionary lookup per signature (RevokedKeys keeps them per peer).
            problem = self._revoked.revoked_key_problem(peer.party, key, at)
            if problem is not None:
                raise KeyRevoked(problem)
        return key

    def certified_key_for(
        self, peer: PeerRecord, signer: bytes | None, at: str | datetime | None
    ) -> bytes:
        """:meth:`signing_key_for` without the revocations: for showing a kept record
        (the console's message view), which a later revocation flags, not unmakes."""
        if signer is None or signer == peer.signing_key:
            window = self._validity(peer).get(peer.signing_key)
            if window is not None and at is not None and _after(at, window[1]):
                raise WrongSigner(
                    f"signed by {peer.party}'s signing key at {at}, after its certificate "
                    f"expired ({format_utc(from_epoch(window[1]))}): it must rotate it "
                    "(hotline key rotate DIR --which signing)"
                )
            return peer.signing_key
        if at is None:
            if signer not in self._validity(peer):
                raise WrongSigner(
                    f"signed by a key that is not a signing key certified for {peer.party}"
                )
            return signer
        return _check(self._validity(peer), peer.party, signer, at)

    def keys_of(self, peer: PeerRecord) -> tuple[bytes, ...]:
        """Every signing key of ``peer``: its address first, then each certified later one.

        For signatures that name their key only by a hash (a checkpoint's or a
        cosignature's key ID): the verifier finds the key among these, then
        asks :meth:`signing_key_for` whether it was certified at the time.
        """
        return (peer.signing_key, *(k for k in self._validity(peer) if k != peer.signing_key))

    def sealing_problem(self, peer: PeerRecord, now: datetime) -> str | None:
        """Why nothing may be sealed to ``peer``'s encryption key now; None if it may.

        Only an expired certificate refuses: a peer whose key has none (single-tier)
        is sealed to as before.
        """
        return self._expired(peer, peer.encryption_key, now)

    def tls_problem(self, peer: PeerRecord, presented: bytes, now: datetime) -> str | None:
        """Why the TLS key ``peer`` presented is refused now (its certificate expired)."""
        return self._expired(peer, presented, now)

    def _expired(self, peer: PeerRecord, key: bytes, now: datetime) -> str | None:
        certificate = self._held(peer).others.get(bytes(key))
        if certificate is None or int(now.timestamp()) < certificate.not_after:
            return None
        return (
            f"{peer.party}'s {certificate.kind} key {certificate.key_id} expired on "
            f"{format_utc(from_epoch(certificate.not_after))}: {peer.party} must rotate it "
            f"(hotline key rotate DIR --which {certificate.kind} on its terminal)"
        )

    def _validity(self, peer: PeerRecord) -> _Validity:
        return self._held(peer).signing

    def _held(self, peer: PeerRecord) -> _Held:
        held = self._keys.get(peer.party)
        if held is None:
            held = self._keys[peer.party] = self._load(peer)
        return held

    def forget(self, party: str) -> None:
        """``party``'s certificates changed (a key event was kept): read them again next time."""
        self._keys.pop(party, None)

    def _load(self, peer: PeerRecord) -> _Held:
        try:
            held = list(PeerCard.from_json(peer.card_json).key_certificates)
        except CardInvalid:
            held = []
        for row in self._store.peer_key_certificates(peer.party):
            held.append(KeyCertificate.decode(row.certificate))
        master = peer_master(peer)
        others = {
            item.public_key: item
            for item in held
            if item.kind != "signing" and item.party == peer.party and item.master_key == master
        }
        # After a confirmed master change, what its old master certified before
        # the change still counts (docs/keys.md §7b).
        signing = signing_certificates(
            held,
            party=peer.party,
            master=master,
            earlier=earlier_masters(self._store.peer_master_changes(peer.party)),
        )
        return _Held(signing, others)
