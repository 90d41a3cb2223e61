"""KeyFileStore: the published key files, replaced as a whole under a new generation."""

from __future__ import annotations

import pytest

from hotline.errors import StoreError
from hotline.store import KeyFiles, Store
from hotline.testing.store_conformance._fixtures import T0, at

__all__ = ["TestKeyFiles"]

_FILES = {
    "keys/signing.key": b"sealed signing key \x00\xff",
    "keys/.rotation/signing.key": b"staged",
    "tls/key.pem": b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n",
}


class TestKeyFiles:
    """A publication replaces the last one; generations count up; bad paths are refused."""

    def test_nothing_published_is_generation_0(self, store: Store) -> None:
        assert store.key_files() is None
        assert store.key_files_generation() == 0

    def test_a_publication_reads_back_byte_for_byte(self, store: Store) -> None:
        assert store.publish_key_files(_FILES, at=T0) == 1
        assert store.key_files() == KeyFiles(generation=1, published_at=T0, files=_FILES)
        assert store.key_files_generation() == 1

    def test_the_next_replaces_it_whole(self, store: Store) -> None:
        store.publish_key_files(_FILES, at=T0)
        newer = {"keys/signing.key": b"rotated", "keys/signing-1.key": b"retired"}
        assert store.publish_key_files(newer, at=at(60)) == 2
        published = store.key_files()
        assert published == KeyFiles(generation=2, published_at=at(60), files=newer)
        # Even an identical set is a new generation: the caller decides when to publish.
        assert store.publish_key_files(newer, at=at(90)) == 3

    def test_it_rolls_back_with_its_transaction(self, store: Store) -> None:
        store.publish_key_files(_FILES, at=T0)

        def crash() -> None:
            with store.transaction():
                store.publish_key_files({"keys/signing.key": b"lost"}, at=at(60))
                raise RuntimeError("crash")

        with pytest.raises(RuntimeError, match="crash"):
            crash()
        assert store.key_files() == KeyFiles(generation=1, published_at=T0, files=_FILES)

    @pytest.mark.parametrize(
        "path",
        [
            "signing.key",
            "/keys/signing.key",
            "keys/../hotline.toml",
            "keys//signing.key",
            "keys/./signing.key",
            "keys",
            "store/x",
            "keys/a\\b",
        ],
    )
    def test_a_path_outside_keys_and_tls_is_refused(self, store: Store, path: str) -> None:
        with pytest.raises(StoreError):
            store.publish_key_files({path: b"x"}, at=T0)
        assert store.key_files() is None

    def test_an_empty_set_or_bad_values_are_refused(self, store: Store) -> None:
        with pytest.raises(StoreError):
            store.publish_key_files({}, at=T0)
        with pytest.raises(StoreError):
            store.publish_key_files({"keys/signing.key": "text"}, at=T0)  # type: ignore[dict-item]
        with pytest.raises(StoreError):
            store.publish_key_files(_FILES, at="yesterday")
        assert store.key_files_generation() == 0
