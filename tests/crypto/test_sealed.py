"""The sealed-secret format: Argon2id + ChaCha20-Poly1305, bound to a label (docs/keys.md)."""

from __future__ import annotations

import pytest

from hotline.crypto import KdfParameters, SealingKey, Unsealer, is_sealed, open_secret, seal_secret
from hotline.errors import CryptoError, WrongPassphrase

# Cheap parameters: the format, not Argon2id's cost, is under test here.
FAST = KdfParameters(time_cost=1, memory_cost=64, parallelism=1)
SECRET = bytes(range(32))


def _sealed(label: str = "Washington signing") -> bytes:
    return SealingKey(b"passphrase", parameters=FAST).seal(SECRET, label=label)


def test_round_trip_and_the_header_carries_the_parameters() -> None:
    blob = _sealed()
    assert is_sealed(blob)
    assert not is_sealed(SECRET)
    assert len(blob) == 50 + 32 + 16
    assert open_secret(blob, b"passphrase", label="Washington signing") == SECRET


def test_default_parameters_are_rfc_9106_second_recommendation() -> None:
    blob = seal_secret(SECRET, b"pw", label="x")
    assert int.from_bytes(blob[10:14]) == 3
    assert int.from_bytes(blob[14:18]) == 64 * 1024
    assert int.from_bytes(blob[18:22]) == 4


@pytest.mark.parametrize(
    ("passphrase", "label"),
    [
        (b"wrong", "Washington signing"),
        (b"passphrase", "Moscow signing"),  # another party's
        (b"passphrase", "Washington encryption"),  # another role's
    ],
)
def test_wrong_passphrase_or_label_is_refused(passphrase: bytes, label: str) -> None:
    with pytest.raises(WrongPassphrase):
        open_secret(_sealed(), passphrase, label=label)


def test_every_changed_byte_is_refused() -> None:
    blob = _sealed()
    for index in (9, 12, 30, 40, 60, len(blob) - 1):
        changed = bytearray(blob)
        changed[index] ^= 0x01
        with pytest.raises(CryptoError):
            open_secret(bytes(changed), b"passphrase", label="Washington signing")


def test_hostile_parameters_are_refused_before_deriving() -> None:
    changed = bytearray(_sealed())
    changed[14:18] = (1 << 31).to_bytes(4)  # 2 TiB of memory
    with pytest.raises(CryptoError, match="out of bounds"):
        open_secret(bytes(changed), b"passphrase", label="Washington signing")


def test_unsealer_derives_once_per_salt() -> None:
    key = SealingKey(b"passphrase", parameters=FAST)
    first = key.seal(b"a" * 32, label="W signing")
    second = key.seal(b"b" * 32, label="W encryption")
    unsealer = Unsealer(b"passphrase")
    assert unsealer.open(first, label="W signing") == b"a" * 32
    assert unsealer.open(second, label="W encryption") == b"b" * 32
    assert len(unsealer._keys) == 1
    assert "passphrase" not in repr(unsealer)
    assert key.salt.hex() not in repr(key)
