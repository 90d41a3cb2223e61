"""The hash ratchet: the derivation as envelope.md §8 words it, and that it forgets."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given
from hypothesis import strategies as st

from hotline.crypto import CHAIN_INFO, EPOCH_MESSAGES, ChainKey, new_chain, step
from hotline.errors import LocalProtocolError

SECRET = hashlib.sha256(b"epoch secret").digest()


def _spec_keys(secret: bytes, count: int) -> list[bytes]:
    """Message keys 0..count-1 as the spec words them, with the standard library's HMAC."""
    chain = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"hotline-chain-v3\x00"
    ).derive(secret)
    keys = []
    for _ in range(count):
        keys.append(hmac.digest(chain, b"\x01", "sha256"))
        chain = hmac.digest(chain, b"\x02", "sha256")
    return keys


def test_constants() -> None:
    assert EPOCH_MESSAGES == 1000
    assert CHAIN_INFO == b"hotline-chain-v3\x00"


@given(st.binary(min_size=32, max_size=32), st.integers(min_value=1, max_value=2**62))
def test_steps_follow_the_written_rule(secret: bytes, epoch: int) -> None:
    chain = new_chain(secret, epoch)
    assert (chain.epoch, chain.index) == (epoch, 0)
    for index, expected in enumerate(_spec_keys(secret, 5)):
        assert chain.next_serial == epoch + index
        key, chain = step(chain)
        assert key == expected
        assert chain.index == index + 1


def test_the_ratchet_forgets() -> None:
    start = new_chain(SECRET, 7)
    used = []
    chain = start
    for _ in range(50):
        key, chain = step(chain)
        used.append(key)
    # Everything a later chain can still produce: none of it is a key already used,
    # nor the chain key it came from.
    later = chain
    for _ in range(200):
        key, later = step(later)
        assert key not in used
        assert later.key != start.key
    assert len(set(used)) == len(used)
    # The chain holds only its position and one key: no field keeps the past.
    assert set(ChainKey.__slots__) == {"epoch", "index", "key"}


def test_step_does_not_change_its_input() -> None:
    chain = new_chain(SECRET, 1)
    first, _ = step(chain)
    again, _ = step(chain)
    assert first == again  # a chain is a value: the caller decides what to keep


def test_repr_hides_the_key() -> None:
    chain = new_chain(SECRET, 3)
    assert chain.key.hex() not in repr(chain)
    assert repr(chain) == "ChainKey(epoch=3, index=0)"


@pytest.mark.parametrize(
    ("epoch", "index", "key"),
    [
        (0, 0, bytes(32)),
        (True, 0, bytes(32)),
        (1, -1, bytes(32)),
        (2**63, 0, bytes(32)),
        (2**63 - 1, 1, bytes(32)),
        (1, 0, bytes(31)),
        (1, 0, "k" * 32),
    ],
)
def test_invalid_chains(epoch: object, index: object, key: object) -> None:
    with pytest.raises(LocalProtocolError):
        ChainKey(epoch, index, key)  # type: ignore[arg-type]


def test_new_chain_needs_a_32_byte_secret() -> None:
    with pytest.raises(LocalProtocolError):
        new_chain(SECRET[:31], 1)
