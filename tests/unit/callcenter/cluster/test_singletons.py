"""Singletons without a cluster (SQLite, one instance): a job runs from ``add`` to
``remove``; with a leadership, from election to deposition, in order."""

from __future__ import annotations

from callcenter.cluster.service import Singletons


class Job:
    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    async def start(self) -> None:
        self.log.append(f"start {self.name}")

    async def stop(self) -> None:
        self.log.append(f"stop {self.name}")


async def test_one_instance_runs_its_jobs_at_once() -> None:
    log: list[str] = []
    jobs = Singletons(None)
    assert jobs.leader and jobs.holder is None
    first, second = Job("retention", log), Job("roll-ups", log)
    await jobs.add(first)
    await jobs.add(second)
    await jobs.remove(first)
    await jobs.remove(first)  # twice: nothing more
    assert log == ["start retention", "start roll-ups", "stop retention"]


async def test_an_elected_instance_starts_them_and_a_deposed_one_stops_them_in_reverse() -> None:
    log: list[str] = []
    jobs = Singletons(None)
    jobs.jobs = [Job("retention", log), Job("roll-ups", log)]
    await jobs._elected()
    await jobs._elected()  # a second election starts nothing twice
    await jobs._deposed()
    assert log == ["start retention", "start roll-ups", "stop roll-ups", "stop retention"]
