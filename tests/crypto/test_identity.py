"""Identity keys: generation, signing, party names, and the key files on disk."""

from __future__ import annotations

import os
import stat
import unicodedata

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from hotline.crypto import (
    ENCRYPTION_KEY_FILE,
    SIGNING_KEY_FILE,
    Identity,
    validate_party,
    verify_signature,
)
from hotline.errors import (
    AlreadyInitialised,
    CryptoError,
    InvalidArgument,
    NotInitialised,
    SignatureInvalid,
)


def test_generate_makes_distinct_32_byte_keys() -> None:
    one = Identity.generate("Moscow")
    two = Identity.generate("Moscow")
    assert len(one.signing_public) == 32
    assert len(one.encryption_public) == 32
    assert one.signing_public != two.signing_public
    assert one.encryption_public != two.encryption_public
    assert one != two


def test_generate_accepts_injected_keys() -> None:
    signing = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    encryption = X25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
    identity = Identity.generate("Moscow", signing_key=signing, encryption_key=encryption)
    again = Identity.from_private_bytes("Moscow", bytes(range(32)), bytes(range(32, 64)))
    assert identity == again
    assert identity.signing_key is signing


def test_from_private_bytes_rejects_wrong_lengths() -> None:
    with pytest.raises(CryptoError, match="32 raw bytes"):
        Identity.from_private_bytes("Moscow", bytes(31), bytes(32))
    with pytest.raises(CryptoError, match="32 raw bytes"):
        Identity.from_private_bytes("Moscow", bytes(32), bytes(33))


def test_constructor_rejects_wrong_key_types() -> None:
    ed = Ed25519PrivateKey.generate()
    x = X25519PrivateKey.generate()
    with pytest.raises(CryptoError):
        Identity(party="Moscow", signing_key=x, encryption_key=x)  # type: ignore[arg-type]
    with pytest.raises(CryptoError):
        Identity(party="Moscow", signing_key=ed, encryption_key=ed)  # type: ignore[arg-type]


def test_sign_and_verify(moscow: Identity, washington: Identity) -> None:
    signature = moscow.sign(b"USSR 01")
    assert len(signature) == 64
    assert moscow.sign(b"USSR 01") == signature  # Ed25519 is deterministic
    verify_signature(moscow.signing_public, signature, b"USSR 01")
    with pytest.raises(SignatureInvalid):
        verify_signature(moscow.signing_public, signature, b"USSR 02")
    with pytest.raises(SignatureInvalid):
        verify_signature(washington.signing_public, signature, b"USSR 01")


@pytest.mark.parametrize(
    ("key_length", "signature_length"), [(31, 64), (33, 64), (32, 63), (32, 65), (0, 0)]
)
def test_verify_rejects_wrong_sizes(
    moscow: Identity, key_length: int, signature_length: int
) -> None:
    key = (moscow.signing_public * 2)[:key_length]
    signature = (moscow.sign(b"x") * 2)[:signature_length]
    with pytest.raises(SignatureInvalid):
        verify_signature(key, signature, b"x")


@given(data=st.binary(max_size=64), flip=st.integers(min_value=0, max_value=63 * 8 + 7))
def test_any_single_bit_flip_of_a_signature_fails(data: bytes, flip: int) -> None:
    identity = Identity.from_private_bytes("Moscow", bytes(32), bytes(32))
    signature = bytearray(identity.sign(data))
    signature[flip // 8] ^= 1 << (flip % 8)
    with pytest.raises(SignatureInvalid):
        verify_signature(identity.signing_public, bytes(signature), data)


@pytest.mark.parametrize(
    "party",
    ["Moscow", "Washington", "Москва", "US-1 Ops.Center_2", "a", "x" * 64, "北京"],
)
def test_valid_party_names(party: str) -> None:
    assert validate_party(party) == party


@pytest.mark.parametrize(
    "party",
    [
        "",
        "x" * 65,
        " Moscow",
        "Moscow ",
        "Mos/cow",
        "Mos\ncow",
        "Mos:cow",
        "Moscow²",  # a digit to str.isdigit, but not an ASCII digit
        unicodedata.normalize("NFD", "Café"),
        42,
    ],
)
def test_invalid_party_names(party: str) -> None:
    with pytest.raises(InvalidArgument):
        validate_party(party)
    if isinstance(party, str):
        with pytest.raises(InvalidArgument):
            Identity.generate(party)


def test_repr_shows_no_private_material(moscow: Identity) -> None:
    text = repr(moscow)
    assert "Moscow" in text
    for private in (moscow.signing_key, moscow.encryption_key):
        raw = private.private_bytes_raw()
        assert raw.hex() not in text
        assert raw.hex()[:16] not in text


def test_save_and_load_round_trip(tmp_path, moscow: Identity) -> None:
    keys = tmp_path / "keys"
    moscow.save(keys)
    loaded = Identity.load("Moscow", keys)
    assert loaded == moscow
    assert loaded.sign(b"m") == moscow.sign(b"m")
    assert (keys / SIGNING_KEY_FILE).read_bytes() == moscow.signing_key.private_bytes_raw()
    assert (keys / ENCRYPTION_KEY_FILE).read_bytes() == moscow.encryption_key.private_bytes_raw()


def test_saved_files_are_owner_only(tmp_path, moscow: Identity) -> None:
    old_umask = os.umask(0)  # even a permissive umask must not widen the mode
    try:
        moscow.save(tmp_path)
    finally:
        os.umask(old_umask)
    for name in (SIGNING_KEY_FILE, ENCRYPTION_KEY_FILE):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o600, oct(mode)


def test_save_refuses_to_overwrite(tmp_path, moscow: Identity, washington: Identity) -> None:
    moscow.save(tmp_path)
    with pytest.raises(AlreadyInitialised):
        washington.save(tmp_path)
    assert Identity.load("Moscow", tmp_path) == moscow


@pytest.mark.parametrize("existing", [SIGNING_KEY_FILE, ENCRYPTION_KEY_FILE])
def test_save_writes_nothing_if_either_file_exists(
    tmp_path, moscow: Identity, existing: str
) -> None:
    (tmp_path / existing).write_bytes(b"old")
    with pytest.raises(AlreadyInitialised):
        moscow.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [existing]
    assert (tmp_path / existing).read_bytes() == b"old"


def test_load_missing_is_not_initialised(tmp_path, moscow: Identity) -> None:
    with pytest.raises(NotInitialised):
        Identity.load("Moscow", tmp_path / "nowhere")
    moscow.save(tmp_path)
    (tmp_path / ENCRYPTION_KEY_FILE).unlink()
    with pytest.raises(NotInitialised):
        Identity.load("Moscow", tmp_path)


def test_load_from_a_file_path_is_not_initialised(tmp_path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_bytes(b"")
    with pytest.raises(NotInitialised):
        Identity.load("Moscow", not_a_dir)


@pytest.mark.parametrize("size", [0, 31, 33, 64])
def test_load_wrong_length_is_crypto_error(tmp_path, moscow: Identity, size: int) -> None:
    moscow.save(tmp_path)
    path = tmp_path / SIGNING_KEY_FILE
    path.chmod(0o600)
    path.unlink()
    path.write_bytes(b"k" * size)
    with pytest.raises(CryptoError, match="damaged"):
        Identity.load("Moscow", tmp_path)


def test_load_validates_the_party(tmp_path, moscow: Identity) -> None:
    moscow.save(tmp_path)
    with pytest.raises(InvalidArgument):
        Identity.load("", tmp_path)


def test_identity_equality_and_hash(moscow: Identity) -> None:
    same = Identity.from_private_bytes(
        "Moscow",
        moscow.signing_key.private_bytes_raw(),
        moscow.encryption_key.private_bytes_raw(),
    )
    renamed = Identity.from_private_bytes(
        "Kremlin",
        moscow.signing_key.private_bytes_raw(),
        moscow.encryption_key.private_bytes_raw(),
    )
    assert same == moscow
    assert hash(same) == hash(moscow)
    assert renamed != moscow
    assert moscow != "Moscow"
