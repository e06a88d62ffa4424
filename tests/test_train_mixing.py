"""MixUp of a batch (lib.train.mixing), as the blurred-document solution ran it (BasicSR / Restormer's
Mixing_Augment with use_identity): about half of the batches mixed, one lam ~ Beta(1.2, 1.2) per batch."""

import numpy as np
import paddle
import pytest
from scipy import stats

from lib.train.mixing import batch_mixup_draw, check_mixup, mix_batch, mixup_rng
from lib.train.tasks import RestorationTask


def draws(n: int, use_identity: bool, beta: float = 1.2):
    rng = np.random.default_rng(0)
    return [batch_mixup_draw(8, beta, use_identity, rng) for _ in range(n)]


def test_with_identity_about_half_of_the_batches_are_mixed_with_beta_distributed_weights():
    n = 4000
    got = draws(n, use_identity=True)
    mixed = [d for d in got if d is not None]
    # binomial(4000, 1/2): 3 standard deviations are 0.024
    assert abs(len(mixed) / n - 0.5) < 0.024
    lams = np.array([lam for _, lam in mixed])
    assert stats.kstest(lams, stats.beta(1.2, 1.2).cdf).pvalue > 0.01
    assert all(sorted(order) == list(range(8)) for order, _ in mixed)  # a permutation of the batch


def test_without_identity_every_batch_is_mixed():
    assert all(d is not None for d in draws(200, use_identity=False))


def test_mix_batch_is_the_convex_blend_of_the_batch_and_its_shuffle():
    rng = np.random.default_rng(1)
    x, y = rng.random((4, 3, 5, 6), dtype=np.float32), rng.random((4, 3, 5, 6), dtype=np.float32)
    order, lam = [2, 0, 3, 1], 0.3
    mx, my = mix_batch(paddle.to_tensor(x), paddle.to_tensor(y), order, lam)
    np.testing.assert_allclose(mx.numpy(), lam * x + (1 - lam) * x[order], rtol=1e-6)
    np.testing.assert_allclose(my.numpy(), lam * y + (1 - lam) * y[order], rtol=1e-6)


def test_the_task_mixes_by_the_run_seed_and_iteration_and_only_when_asked():
    x = paddle.to_tensor(np.arange(4 * 1 * 2 * 2, dtype=np.float32).reshape(4, 1, 2, 2))
    y = x * 2
    options = {"seed": 3, "task": {"mixup": {"beta": 1.2, "use_identity": True}}}
    task = RestorationTask(options, {}, {}, {}, {})
    results = {i: task.mixed(x, y, i) for i in range(12)}
    for i, (mx, my) in results.items():
        draw = batch_mixup_draw(4, 1.2, True, mixup_rng(3, i))
        want = (x, y) if draw is None else mix_batch(x, y, *draw)
        np.testing.assert_array_equal(mx.numpy(), want[0].numpy())
        np.testing.assert_array_equal(my.numpy(), want[1].numpy())
    assert any(not np.array_equal(mx.numpy(), x.numpy()) for mx, _ in results.values())  # some were mixed
    off = RestorationTask({"seed": 3, "task": {"mixup": None}}, {}, {}, {}, {})
    assert off.mixed(x, y, 0)[0] is x


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"beta": 0}, "mixup.beta must be a number > 0"),
        ({"alpha": 1}, "must be {beta, use_identity}"),
        (1.2, "must be"),
    ],
)
def test_bad_mixup_options_are_clear_errors(bad, message):
    with pytest.raises(ValueError, match=message):
        check_mixup(bad)
