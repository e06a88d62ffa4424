"""The write-up's two dropped ideas (lab.tracks.retouch.attempts): the mask estimate, the masked L1, the
blemish shift against NumPy, and the task that trains them (off: the shipped recipe's step exactly)."""

from __future__ import annotations

import numpy as np
import paddle
import pytest

from lab.tracks.retouch.attempts import RetouchAttemptTask, estimate_mask, masked_l1, shift_blemishes
from lib.tracks import get_track
from lib.tracks.retouch.data import ensure_dataset
from lib.train.engine import Trainer

TRACK = get_track("retouch")


@pytest.fixture(scope="module")
def smoke_root(tmp_path_factory):
    return ensure_dataset("smoke", tmp_path_factory.mktemp("retouch") / "data", seed=0, workers=1)


def pair(seed=0, n=2, size=12):
    rng = np.random.default_rng(seed)
    target = rng.uniform(0.1, 0.6, (n, 3, size, size)).astype(np.float32)  # room for the +0.3 blemish
    inputs = target.copy()
    inputs[:, 1, 2:5, 3:6] += 0.3  # a blemish in one channel only
    inputs[:, :, 8, 8] += 0.01  # a difference under the threshold
    return np.clip(inputs, 0, 1), target


def test_mask_estimate_and_masked_l1_match_numpy():
    inputs, target = pair()
    mask = estimate_mask(paddle.to_tensor(inputs), paddle.to_tensor(target), 0.12).numpy()
    # the max over channels: the channel mean (0.1) would miss the blemish
    expected = (np.abs(inputs - target).max(axis=1, keepdims=True) > 0.12).astype(np.float32)
    np.testing.assert_array_equal(mask, expected)
    assert mask[:, 0, 2:5, 3:6].all() and mask.sum() <= 2 * 9 and mask[:, 0, 8, 8].sum() == 0
    pred = np.random.default_rng(1).random(target.shape).astype(np.float32)
    got = float(masked_l1(paddle.to_tensor(pred), paddle.to_tensor(target), paddle.to_tensor(mask)))
    inside = np.broadcast_to(mask, pred.shape) > 0
    assert got == pytest.approx(np.abs(pred - target)[inside].mean(), rel=1e-5)
    none = paddle.zeros_like(paddle.to_tensor(mask))
    assert float(masked_l1(paddle.to_tensor(pred), paddle.to_tensor(target), none)) == 0.0


def test_shift_moves_only_the_masked_residual():
    inputs, target = pair()
    mask = estimate_mask(paddle.to_tensor(inputs), paddle.to_tensor(target), 0.12)
    shifted = shift_blemishes(paddle.to_tensor(inputs), paddle.to_tensor(target), mask, [(4, -3), (0, 0)]).numpy()
    residual, m = inputs - target, mask.numpy()
    moved = np.roll(m[0] * residual[0], (4, -3), axis=(1, 2))
    np.testing.assert_allclose(shifted[0], np.clip(target[0] + residual[0] * (1 - m[0]) + moved, 0, 1), atol=1e-6)
    np.testing.assert_allclose(shifted[1], inputs[1], atol=1e-6)  # no shift: the input unchanged
    assert np.abs(shifted[0] - target[0])[1, 6:9, 0:3].min() > 0.2  # the blemish is at its new place
    assert np.abs(shifted[0] - target[0])[1, 2:5, 3:6].max() < 1e-6  # and gone from the old one


def train(root, tmp_path, task_options, name):
    cfg = TRACK.config("smoke")
    trainer = Trainer(
        TRACK.train_options(cfg, task=task_options),
        TRACK.train_data(root),
        tmp_path / name,
        quiet=True,
        task=RetouchAttemptTask,
        track="retouch",
    )
    trainer.fit()
    return trainer


@pytest.mark.slow
def test_the_task_off_is_the_recipe_and_on_changes_training(smoke_root, tmp_path):
    recipe = Trainer(
        TRACK.train_options(TRACK.config("smoke")),
        TRACK.train_data(smoke_root),
        tmp_path / "plain",
        quiet=True,
        task=TRACK.task,
        track="retouch",
    )
    recipe.fit()
    off = train(smoke_root, tmp_path, {}, "off")

    def weights(t):
        return np.concatenate([p.numpy().ravel() for p in t.model.parameters()])

    np.testing.assert_array_equal(weights(off), weights(recipe))
    for options in ({"mask_loss": 1.0}, {"mask_shift": 1.0}):
        on = train(smoke_root, tmp_path, options, next(iter(options)))
        assert np.abs(weights(on) - weights(recipe)).max() > 0, options
        losses = [r["loss"] for r in on.history if "loss" in r]
        assert losses and all(np.isfinite(losses)), options


def test_an_unknown_attempt_option_is_a_clear_error(smoke_root, tmp_path):
    with pytest.raises(ValueError, match="mask_weight"):
        train(smoke_root, tmp_path, {"mask_weight": 1.0}, "bad")
