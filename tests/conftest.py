"""Set up for the whole suite, before any test module is imported."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

# Here, at the root, so it runs before any test imports the suite (the store's tests,
# and tests elsewhere that borrow its record factories): its asserts then show values.
pytest.register_assert_rewrite("hotline.testing.store_conformance")


@pytest.fixture(autouse=True, scope="module")
def _collect_garbage_after_each_module() -> Iterator[None]:
    """Collect cycles when a module ends, so a leak fails the module that leaked.

    The suite runs with ``-W error``: a socket or transport a test forgot to
    close warns when it is collected. Left to the collector's own schedule, that
    happens in whichever later test allocates enough (it failed the layer-rules
    test once, far from the leak); collecting here names the module at fault.
    """
    yield
    gc.collect()
