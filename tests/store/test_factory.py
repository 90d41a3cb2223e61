"""open_store finds the database in a directory or at a path, creating it or not."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.errors import NotInitialised
from hotline.store import DATABASE_FILENAME, SQLiteStore, Store, open_store

from .factories import make_party


def test_database_filename() -> None:
    assert DATABASE_FILENAME == "hotline.db"


def test_directory_holds_the_database(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        assert isinstance(store, SQLiteStore)
        assert store.path == tmp_path / DATABASE_FILENAME
        store.set_party(make_party())
    assert (tmp_path / DATABASE_FILENAME).is_file()
    with open_store(tmp_path / DATABASE_FILENAME, create=False) as again:
        assert again.get_party() == make_party()


def test_explicit_file_path(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere.sqlite"
    with open_store(path) as store:
        assert isinstance(store, Store)
    assert path.is_file()
    assert not (tmp_path / DATABASE_FILENAME).exists()


def test_without_create_nothing_is_made(tmp_path: Path) -> None:
    with pytest.raises(NotInitialised):
        open_store(tmp_path, create=False)
    with pytest.raises(NotInitialised):
        open_store(tmp_path / "typo.db", create=False)
    assert list(tmp_path.iterdir()) == []
