"""Stalled or lagging: the rule on a clock of the test's own (pure logic: no consumer needed)."""

from __future__ import annotations

from heyzack_shared.consumer_metrics import STALLED_AFTER_SECONDS, PartitionProgress

KEY = ("kpi-projector", "heyzack.installations.v1", 3)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def scraped(progress: PartitionProgress, name: str) -> dict[tuple[str, ...], float]:
    return {
        tuple(sample.labels.values()): sample.value
        for family in progress.collect()
        for sample in family.samples
        if sample.name == name
    }


def test_behind_with_batches_applied_is_lagging_not_stalled() -> None:
    clock = Clock()
    progress = PartitionProgress(clock)
    progress.lag(KEY, 5_000)
    for _ in range(10):
        clock.now += STALLED_AFTER_SECONDS / 2
        progress.applied(KEY)
        progress.lag(KEY, 4_000)
    assert not progress.stalled(KEY)
    assert scraped(progress, "heyzack_consumer_stalled") == {("kpi-projector", KEY[1], "3"): 0.0}


def test_behind_with_nothing_applied_for_long_is_stalled_and_recovers() -> None:
    clock = Clock()
    progress = PartitionProgress(clock)
    progress.applied(KEY)
    progress.lag(KEY, 10)
    clock.now += STALLED_AFTER_SECONDS - 1
    assert not progress.stalled(KEY)
    clock.now += 2
    assert progress.stalled(KEY)
    assert scraped(progress, "heyzack_consumer_stalled")[("kpi-projector", KEY[1], "3")] == 1.0
    assert scraped(progress, "heyzack_consumer_seconds_since_applied")[("kpi-projector", KEY[1], "3")] > 120
    progress.applied(KEY)
    assert not progress.stalled(KEY)


def test_idle_without_lag_is_never_stalled_and_new_lag_gets_its_grace() -> None:
    clock = Clock()
    progress = PartitionProgress(clock)
    progress.applied(KEY)
    progress.lag(KEY, 0)
    clock.now += 10 * STALLED_AFTER_SECONDS
    assert not progress.stalled(KEY)
    progress.lag(KEY, 3)  # new events after a long quiet: not stalled at once
    assert not progress.stalled(KEY)
    clock.now += STALLED_AFTER_SECONDS + 1
    assert progress.stalled(KEY)
