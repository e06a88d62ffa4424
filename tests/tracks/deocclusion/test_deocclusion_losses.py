"""The de-occlusion losses as the solution's code ran them (lib.tracks.deocclusion.losses) against NumPy
references of renqi1/Text_Image_Inpainting trainer.py's formulas, and full's options resolving and
building both tasks without a download."""

import numpy as np
import paddle
import pytest

from lib.tracks import get_track
from lib.tracks.deocclusion.losses import discriminator_loss, generator_loss, segmentation_ce
from lib.tracks.deocclusion.tasks import InpaintingGANTask, SegmentationTask
from lib.train import resolve_options

RNG = np.random.default_rng(7)


def _t(array):
    return paddle.to_tensor(np.asarray(array, dtype=np.float32))


def _relu(x):
    return np.maximum(x, 0.0)


def test_halved_hinge_discriminator_loss_matches_numpy():
    real, fake = RNG.normal(0, 2, (3, 1, 8, 8)), RNG.normal(0, 2, (3, 1, 8, 8))
    expected = 0.5 * _relu(1 - real).mean() + 0.5 * _relu(1 + fake).mean()
    got = float(discriminator_loss("hinge", _t(real), _t(fake), scale=0.5))
    assert got == pytest.approx(expected, rel=1e-5)
    unhalved = float(discriminator_loss("hinge", _t(real), _t(fake)))  # the course's (smoke / demo)
    assert unhalved == pytest.approx(2 * expected, rel=1e-5)


def _composite(img, out, mask):
    return img * (1 - mask) + out * mask


def test_generator_loss_matches_the_solutions_formula():
    img, coarse, refined = (RNG.uniform(0, 1, (2, 3, 16, 16)) for _ in range(3))
    mask = (RNG.uniform(0, 1, (2, 1, 16, 16)) < 0.3).astype(np.float64)
    d_fake = RNG.normal(0, 1, (2, 1, 4, 4))
    first = np.abs(_composite(img, coarse, mask) - img).mean()
    second = np.abs(_composite(img, refined, mask) - img).mean()
    expected = 1000 * (second + 0.5 * first) + 1 * (-d_fake.mean())
    terms = generator_loss(_t(img), _t(mask), _t(coarse), _t(refined), _t(d_fake), l1=1000.0, gan=1.0, coarse_l1=0.5)
    assert float(terms["total"]) == pytest.approx(expected, rel=1e-5)
    assert float(terms["l1_coarse"]) == pytest.approx(first, rel=1e-5)
    assert "perceptual" not in terms


def test_generator_loss_at_coarse_weight_1_is_the_reference_sum_bit_for_bit():
    """smoke / demo (coarse_l1_weight 1) train exactly as before the option existed: l1 * L1(coarse)
    + l1 * L1(refined) + gan * (-mean(d_fake)), the same float32 operations."""
    import paddle.nn.functional as F

    from lib.losses import composite, hinge_g_loss

    img, coarse, refined = (_t(RNG.uniform(0, 1, (2, 3, 16, 16))) for _ in range(3))
    mask, d_fake = _t(RNG.uniform(0, 1, (2, 1, 16, 16)) < 0.3), _t(RNG.normal(0, 1, (2, 1, 4, 4)))
    ours = generator_loss(img, mask, coarse, refined, d_fake, l1=1000.0, gan=1.0)
    first, second = (F.l1_loss(composite(img, x, mask), img) for x in (coarse, refined))
    before = 1000.0 * first + 1000.0 * second + 1.0 * hinge_g_loss(d_fake)
    assert ours["total"].numpy().tobytes() == before.numpy().tobytes()


def _weighted_ce_numpy(logits, labels, weights):
    """torch.nn.CrossEntropyLoss(weight=w), reduction mean: sum(w[y] * nll) / sum(w[y])."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_prob = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    nll = -np.take_along_axis(log_prob, labels[:, None], axis=1)[:, 0]
    w = np.asarray(weights, np.float64)[labels]
    return (w * nll).sum() / w.sum(), nll.mean(), (w * nll).mean()


def test_class_weighted_cross_entropy_is_normalised_by_the_weights_as_torch():
    logits = RNG.normal(0, 2, (2, 2, 12, 10))
    labels = (RNG.uniform(0, 1, (2, 12, 10)) < 0.1).astype(np.int64)
    expected, plain, unnormalised = _weighted_ce_numpy(logits, labels, [1, 10])
    got = float(segmentation_ce(_t(logits), paddle.to_tensor(labels), [1, 10]))
    assert got == pytest.approx(expected, rel=1e-5)
    assert abs(expected - unnormalised) > 1e-2  # the normalisation matters on these labels
    assert float(segmentation_ce(_t(logits), paddle.to_tensor(labels))) == pytest.approx(plain, rel=1e-5)


@pytest.mark.parametrize("bad", [[1, -1], [], "1, 10", [1, True]])
def test_class_weights_must_be_positive_numbers(bad):
    with pytest.raises(ValueError, match="class_weights must be null or a list of numbers > 0"):
        SegmentationTask({"task": {"dice_weight": 0.0, "class_weights": bad}}, {}, {}, {}, {})


@pytest.mark.parametrize("key", ["coarse_l1_weight", "d_loss_scale"])
def test_inpainter_weights_must_be_numbers_at_least_0(key):
    settings = dict(InpaintingGANTask.option_defaults, **{key: -0.5})
    with pytest.raises(ValueError, match=f"task option {key} must be a number >= 0"):
        InpaintingGANTask({"task": settings}, {}, {}, {}, {})


def test_full_resolves_and_builds_both_tasks_without_a_download(offline):
    gan, seg = get_track("deocclusion"), get_track("deocclusion_seg")
    gan_opts = resolve_options(gan.train_options(gan.config("full")), gan.task)
    seg_opts = resolve_options(seg.train_options(seg.config("full")), seg.task)
    assert gan_opts["task"]["perceptual_weight"] == 0 and seg_opts["model"]["pretrained"] is None
    task = InpaintingGANTask(gan_opts, {}, {}, {}, {})
    assert task.perceptual is None
    SegmentationTask(seg_opts, {}, {}, {}, {})
