"""The supervisor: tasks owned, failures reported, stopping stops all and swallows no cancellation."""

from __future__ import annotations

import asyncio

import pytest

from hotline.terminal.runtime.tasks import Supervisor


def test_spawned_tasks_are_kept_until_they_end() -> None:
    async def main() -> None:
        supervisor = Supervisor("test")
        done = asyncio.Event()
        task = supervisor.spawn(done.wait(), "waiter")
        assert len(supervisor) == 1
        assert task.get_name() == "waiter"
        done.set()
        await task
        await asyncio.sleep(0)  # the done callback runs on the next pass
        assert len(supervisor) == 0

    asyncio.run(main())


def test_a_failed_task_is_reported_by_name() -> None:
    failures: list[tuple[str, str]] = []

    async def broken() -> None:
        raise RuntimeError("boom")

    async def main() -> None:
        supervisor = Supervisor(
            "test", on_failure=lambda name, exc: failures.append((name, str(exc)))
        )
        task = supervisor.spawn(broken(), "broken")
        with pytest.raises(RuntimeError):
            await task
        await asyncio.sleep(0)
        await supervisor.aclose()

    asyncio.run(main())
    assert failures == [("broken", "boom")]


def test_aclose_cancels_every_task_and_waits_for_them() -> None:
    ended: list[str] = []

    async def forever(name: str) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            ended.append(name)

    async def main() -> None:
        supervisor = Supervisor("test")
        tasks = [supervisor.spawn(forever(f"t{i}"), f"t{i}") for i in range(3)]
        await asyncio.sleep(0)
        await supervisor.aclose()
        assert all(task.done() for task in tasks)
        assert len(supervisor) == 0
        with pytest.raises(RuntimeError, match="closed"):
            supervisor.spawn(forever("late"), "late")

    asyncio.run(main())
    assert sorted(ended) == ["t0", "t1", "t2"]


def test_aclose_does_not_swallow_the_callers_cancellation() -> None:
    """The bug the supervisor replaces: suppress(BaseException) around each await."""

    async def stubborn() -> None:
        # Takes a while to finish after being cancelled (a polite close).
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            await asyncio.sleep(3600)
            raise

    async def main() -> None:
        supervisor = Supervisor("test")
        supervisor.spawn(stubborn(), "stubborn")
        await asyncio.sleep(0)
        closer = asyncio.get_running_loop().create_task(supervisor.aclose())
        # Let the closer cancel the task, and the task reach its slow cleanup.
        for _ in range(3):
            await asyncio.sleep(0)
        closer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await closer
        assert closer.cancelled()

    asyncio.run(main())
