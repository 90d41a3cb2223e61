"""Proofs of delivery: what a stored receipt needs beside it to prove one message.

A version-1 receipt names its message outright. A version-2 receipt covers a
run of serials (docs/protocol/receipts.md §6) through the RFC 6962 root of
their envelope hashes, so one message's proof is the receipt plus the
inclusion path of that message's envelope hash: at most a dozen hashes,
read from the store (which holds every envelope hash of both directions) and
checked by :func:`hotline.crypto.verify_receipt` with no private key.
"""

from __future__ import annotations

from hotline.crypto import Receipt, batch_proof, receipt_covers
from hotline.errors import CryptoError, DeliveryError
from hotline.store import MessageRecord, Store

__all__ = ["receipt_proof"]


def receipt_proof(store: Store, message: MessageRecord) -> list[bytes]:
    """The inclusion path that proves ``message`` under its stored receipt.

    Empty for a version-1 receipt (none is needed), for a message without a
    receipt, and for a malformed receipt or one that does not cover the
    message (checking the receipt then fails, and says why). DeliveryError if
    the store lacks an envelope of the range the receipt covers: a gap in
    the chain.
    """
    if message.receipt is None:
        return []
    try:
        receipt = Receipt.decode(message.receipt)
    except CryptoError:
        return []
    if receipt.version < 2 or not receipt_covers(receipt, message.serial):
        return []
    hashes = store.envelope_hashes(
        message.peer, message.direction, receipt.first_serial, receipt.serial
    )
    if len(hashes) != receipt.serial - receipt.first_serial + 1:
        raise DeliveryError(
            f"the receipt covers serials {receipt.first_serial}..{receipt.serial}, "
            f"but only {len(hashes)} of those envelopes are stored: the chain has a gap"
        )
    return batch_proof(hashes, message.serial - receipt.first_serial)
