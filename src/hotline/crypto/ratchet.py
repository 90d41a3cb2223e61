"""The symmetric hash ratchet of envelope version 3: one key per message, forgotten after use.

Version-3 envelopes do not HPKE-seal every body. The sender draws a 32-byte
*epoch secret*, HPKE-seals it once to the recipient in the envelope that
opens the epoch (header ``"es" == "n"``, the secret in ``"ek"``), and derives
from it a chain of message keys (``docs/protocol/envelope.md`` §8)::

    chain key 0     = HKDF-SHA256(ikm=epoch secret, salt=None, info=b"hotline-chain-v3\\0", 32)
    message key i   = HMAC-SHA256(chain key i, 0x01)
    chain key i + 1 = HMAC-SHA256(chain key i, 0x02)

The step is Signal's ``KDF_CK``. Message ``n`` of the epoch opened by
envelope ``es`` uses message key ``n - es``. Both sides keep only the
:class:`ChainKey` for the *next* message: HMAC cannot be run backwards, so
once a message key is used and the chain stepped past it, nothing held can
produce it again. That is what the ratchet gives: a terminal seized later
holds no key that opens the traffic recorded on the wire before it.

An epoch ends after :data:`EPOCH_MESSAGES` messages, or whenever the two sides
may be out of step (a chain lost in a crash, a serial skipped): the sender
then simply opens a new epoch, at the price of one HPKE seal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hotline.errors import LocalProtocolError

__all__ = [
    "CHAIN_INFO",
    "CHAIN_KEY_BYTES",
    "EPOCH_MESSAGES",
    "EPOCH_SECRET_BYTES",
    "ChainKey",
    "new_chain",
    "step",
]

EPOCH_MESSAGES = 1000
"""Message keys per epoch: a sender opens a new epoch before using key index 1000."""

EPOCH_SECRET_BYTES = 32
CHAIN_KEY_BYTES = 32
CHAIN_INFO = b"hotline-chain-v3\x00"
"""HKDF ``info`` for chain key 0."""

_MESSAGE_KEY_INPUT = b"\x01"
_CHAIN_KEY_INPUT = b"\x02"
# An epoch starts at a serial, and serials are at most 2**63 - 1 (envelope.MAX_SERIAL,
# not imported: the envelope module builds on this one).
_MAX_SERIAL = 2**63 - 1


@dataclass(frozen=True, slots=True)
class ChainKey:
    """Where a direction's ratchet stands: the chain key of the next message, and its place.

    ``epoch`` is the serial of the envelope that opened the epoch and
    ``index`` that of the next message key in it, so the next serial the
    chain can open or seal is ``epoch + index``. The ``repr`` hides ``key``:
    a chain key in a log would open every later message of its epoch.
    """

    epoch: int
    index: int
    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        # bool is an int subclass: True must not pass as epoch 1.
        if type(self.epoch) is not int or not 1 <= self.epoch <= _MAX_SERIAL:
            raise LocalProtocolError(f"a chain's epoch is a serial, 1 to {_MAX_SERIAL}")
        if type(self.index) is not int or not 0 <= self.index <= _MAX_SERIAL - self.epoch:
            raise LocalProtocolError("a chain's index must keep epoch + index a serial")
        if not isinstance(self.key, bytes) or len(self.key) != CHAIN_KEY_BYTES:
            raise LocalProtocolError(f"a chain key is {CHAIN_KEY_BYTES} bytes")

    @property
    def next_serial(self) -> int:
        """The serial whose message key this chain gives next: ``epoch + index``."""
        return self.epoch + self.index


def new_chain(epoch_secret: bytes, epoch: int) -> ChainKey:
    """Chain key 0 of the epoch opened by serial ``epoch``, from its 32-byte secret."""
    if not isinstance(epoch_secret, bytes) or len(epoch_secret) != EPOCH_SECRET_BYTES:
        raise LocalProtocolError(f"an epoch secret is {EPOCH_SECRET_BYTES} bytes")
    key = HKDF(
        algorithm=hashes.SHA256(), length=CHAIN_KEY_BYTES, salt=None, info=CHAIN_INFO
    ).derive(epoch_secret)
    return ChainKey(epoch, 0, key)


def _hmac(key: bytes, data: bytes) -> bytes:
    mac = hmac.HMAC(key, hashes.SHA256())
    mac.update(data)
    return mac.finalize()


def step(chain: ChainKey) -> tuple[bytes, ChainKey]:
    """The message key for ``chain.index``, and the chain advanced past it.

    The caller must drop ``chain`` and keep only the returned one: the old
    chain key is what could re-derive the message key.
    """
    message_key = _hmac(chain.key, _MESSAGE_KEY_INPUT)
    next_key = _hmac(chain.key, _CHAIN_KEY_INPUT)
    return message_key, ChainKey(chain.epoch, chain.index + 1, next_key)
