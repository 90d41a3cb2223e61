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
  count too (:func:`earlier_masters`).

:func:`certified_signer` is the same rule over a list of certificates, for
the offline checks (``hotline verify``, ``audit``) that have no store.

The certificates of a peer are read once and kept (the hot path costs a dict
lookup); the keys desk calls :meth:`Signers.forget` when it stores a new one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from hotline.crypto import KeyCertificate, MasterTransition, PeerCard
from hotline.errors import CardInvalid, WrongSigner
from hotline.store import PeerMasterChange, PeerRecord, Store
from hotline.terminal.config.tiers import peer_master
from hotline.utc import parse_utc

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

    def __init__(self, store: Store) -> None:
        self._store = store
        self._keys: dict[str, _Validity] = {}

    def signing_key_for(self, peer: PeerRecord, signer: bytes | None, at: str | datetime) -> bytes:
        """The key to verify ``peer``'s signature with (see the module docstring).

        ``signer`` is the ``"sk"`` field (None when absent), ``at`` the time
        the signature claims (an envelope's ``"at"``, a receipt's).
        """
        if signer is None or signer == peer.signing_key:
            return peer.signing_key
        return _check(self._validity(peer), peer.party, signer, at)

    def keys_of(self, peer: PeerRecord) -> tuple[bytes, ...]:
        """Every signing key of ``peer``: its address first, then each certified later one.

        For signatures that name their key only by a hash (a checkpoint's or a
        cosignature's key ID): the verifier finds the key among these, then
        asks :meth:`signing_key_for` whether it was certified at the time.
        """
        return (peer.signing_key, *(k for k in self._validity(peer) if k != peer.signing_key))

    def _validity(self, peer: PeerRecord) -> _Validity:
        validity = self._keys.get(peer.party)
        if validity is None:
            validity = self._keys[peer.party] = self._load(peer)
        return validity

    def forget(self, party: str) -> None:
        """``party``'s certificates changed (a key event was kept): read them again next time."""
        self._keys.pop(party, None)

    def _load(self, peer: PeerRecord) -> _Validity:
        try:
            held = list(PeerCard.from_json(peer.card_json).key_certificates)
        except CardInvalid:
            held = []
        for row in self._store.peer_key_certificates(peer.party):
            if row.kind == "signing":
                held.append(KeyCertificate.decode(row.certificate))
        # After a confirmed master change, what its old master certified before
        # the change still counts (docs/keys.md §7b).
        return signing_certificates(
            held,
            party=peer.party,
            master=peer_master(peer),
            earlier=earlier_masters(self._store.peer_master_changes(peer.party)),
        )
