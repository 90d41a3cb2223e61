"""Set up for the whole suite, before any test module is imported."""

from __future__ import annotations

import pytest

# Here, at the root, so it runs before any test imports the suite (the store's tests,
# and tests elsewhere that borrow its record factories): its asserts then show values.
pytest.register_assert_rewrite("hotline.testing.store_conformance")
