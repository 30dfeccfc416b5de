"""benchmarks.common.time_blocks: blocks per implementation, settle calls untimed, medians."""

from __future__ import annotations

import time

from benchmarks.common import time_blocks


def test_time_blocks_runs_each_function_in_settled_blocks():
    calls: list[str] = []

    def make(name: str, seconds: float):
        def fn() -> None:
            calls.append(name)
            time.sleep(seconds)

        return fn

    fns = {"fast": make("fast", 0.001), "slow": make("slow", 0.004)}
    medians = time_blocks(fns, repeat=6, rounds=3, settle=0.0)
    assert set(medians) == {"fast", "slow"}
    assert 0.0009 < medians["fast"] < medians["slow"]
    # each round: one untimed call, then repeat/rounds = 2 timed ones, per function, in blocks
    assert len(calls) == 2 * 3 * 3
    blocks = [calls[i:i + 3] for i in range(0, len(calls), 3)]
    assert all(len(set(b)) == 1 for b in blocks)
    # the order rotates between rounds
    assert [b[0] for b in blocks] == ["fast", "slow", "slow", "fast", "fast", "slow"]


def test_time_blocks_settle_time_is_spent_untimed():
    n = 0

    def fn() -> None:
        nonlocal n
        n += 1
        time.sleep(0.002)

    t0 = time.perf_counter()
    time_blocks({"f": fn}, repeat=3, rounds=1, settle=0.05)
    assert time.perf_counter() - t0 >= 0.05
    assert n >= 3 + 0.05 / 0.01  # the timed calls plus a settle period's worth
