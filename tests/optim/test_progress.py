"""`advance_progress`: a batch that compiled kernels restarts the bar's clock, so the rate and
ETA do not extrapolate the compile; other batches just advance it (a real tqdm bar)."""

from __future__ import annotations

import io

from tqdm import tqdm

from autograd.kernels import compile_count
from optim.training import advance_progress


def _bar() -> tqdm:
    bar = tqdm(total=100, file=io.StringIO(), mininterval=0)
    bar.start_t -= 80.0  # as if the first batch had taken 80 s
    bar.last_print_t = bar.start_t
    return bar


def test_a_batch_that_compiled_is_left_out_of_the_rate() -> None:
    bar = _bar()
    advance_progress(bar, compile_count() - 1)  # a kernel compiled during this batch
    assert bar.n == 1
    assert bar.format_dict["elapsed"] < 80.0
    assert "?" in str(bar)  # no rate, hence no ETA, until a batch without the compile
    advance_progress(bar, compile_count(), 2)
    assert bar.n == 3 and bar.format_dict["elapsed"] < 80.0
    bar.close()


def test_a_warm_batch_counts_in_the_rate() -> None:
    bar = _bar()
    advance_progress(bar, compile_count())
    assert bar.n == 1
    assert bar.format_dict["elapsed"] >= 80.0
    bar.close()
