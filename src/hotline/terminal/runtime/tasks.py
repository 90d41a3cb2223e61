"""Supervised tasks: every background task of a terminal has an owner that stops it.

Theory of operation
-------------------
``asyncio.TaskGroup`` ties its tasks to one ``async with`` block in one task.
A terminal's tasks outlive the call that starts them (``Terminal.start``
returns once listening; ``Terminal.stop`` may come from elsewhere), so each
owner (the terminal, a session) keeps a :class:`Supervisor` instead, with the
same three promises:

* **Nothing runs unowned.** :meth:`Supervisor.spawn` keeps a strong reference
  until the task ends (asyncio keeps only a weak one), and names it.
* **Nothing fails silently.** A task that ends with an exception (not by
  being cancelled) is handed to ``on_failure``, which decides what it means (a
  session ends, and says why); without one, it is logged with its name and
  traceback.
* **Stopping stops everything, and no cancellation is swallowed.**
  :meth:`Supervisor.aclose` cancels every task and waits for all of them. If the
  task calling ``aclose`` is itself cancelled meanwhile, the cancellation
  propagates to it: the old ``suppress(BaseException)`` around each ``await``
  hid exactly that.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["Supervisor"]

log = logging.getLogger("hotline.tasks")

T = TypeVar("T")


class Supervisor:
    """Owns a set of named background tasks; see the module docstring."""

    def __init__(
        self, name: str, *, on_failure: Callable[[str, BaseException], None] | None = None
    ) -> None:
        self.name = name
        self._on_failure = on_failure
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False

    def __len__(self) -> int:
        return len(self._tasks)

    @property
    def closed(self) -> bool:
        return self._closed

    def spawn(self, coro: Coroutine[Any, Any, T], name: str) -> asyncio.Task[T]:
        """Start ``coro`` as a task owned by this supervisor (RuntimeError once closed)."""
        if self._closed:
            coro.close()  # never started: no "coroutine was never awaited" warning
            raise RuntimeError(f"{self.name}: cannot start {name!r}, the supervisor is closed")
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._ended)
        return task

    def _ended(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None:
            return
        if self._on_failure is not None:
            self._on_failure(task.get_name(), exc)
        else:
            log.error("%s: task %r failed", self.name, task.get_name(), exc_info=exc)

    async def aclose(self) -> None:
        """Cancel every task and wait until all have ended; no new task may start."""
        self._closed = True
        while self._tasks:
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            # gather with return_exceptions: the tasks' own ends (cancelled, or
            # failed, which _ended logs) are collected, never raised here; a
            # cancellation of *this* task still interrupts the await and propagates.
            await asyncio.gather(*tasks, return_exceptions=True)
            for task in tasks:
                self._tasks.discard(task)
