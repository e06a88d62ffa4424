"""DeepLabV3 from PaddleSeg (lib.models.deeplab): offline builds of the small backbones, logits at
the input size, parameter counts, backbone-name and index errors, repeated builds of explicitly
named backbones, a few SGD steps, and paddle.jit export."""

import numpy as np
import paddle
import paddle.nn.functional as F
import pytest

from lib.models.deeplab import BACKBONE_ALIASES, SUPPORTED_BACKBONES, DeepLabV3Logits, deeplabv3, paddleseg_backbones
from lib.models.nafnet import count_parameters

SMALL_BACKBONES = [
    "ResNet18_vd",
    "MobileNetV2",
    "MobileNetV2_x0_5",
    "MobileNetV3_small_x1_0",
    "MobileNetV3_large_x1_0",
    "MobileNetV3_small_x1_0_os8",
]
# Trainable parameters with num_classes=2 and the defaults (measured; BatchNorm running statistics
# are parameters in Paddle but not trainable, so they are left out).
TRAINABLE_COUNTS = {
    "ResNet18_vd": 15_333_602,
    "ResNet34_vd": 25_441_762,
    "ResNet50_vd": 39_064_162,
    "MobileNetV2_x1_0": 4_521_026,
    "MobileNetV2_x0_5": 1_997_762,
    "MobileNetV3_small_x1_0": 1_910_480,
    "MobileNetV3_large_x1_0": 4_335_272,
    "MobileNetV3_small_x1_0_os8": 1_910_480,
}


def toy_batch(n=2, h=64, w=96, seed=0):
    """Dark noisy images with one brighter-red rectangle each; labels 1 inside the rectangle."""
    rng = np.random.default_rng(seed)
    img = rng.normal(0.3, 0.05, (n, 3, h, w)).astype(np.float32)
    label = np.zeros((n, h, w), np.int64)
    for i in range(n):
        top, left = rng.integers(4, h // 2), rng.integers(4, w // 2)
        label[i, top : top + h // 3, left : left + w // 3] = 1
    img[:, 0][label == 1] += 0.5
    return paddle.to_tensor(img), paddle.to_tensor(label)


@pytest.mark.parametrize("backbone", SMALL_BACKBONES)
def test_small_backbones_build_offline_and_give_input_size_logits(offline, backbone):
    paddle.seed(0)
    model = deeplabv3(num_classes=2, backbone=backbone)
    assert isinstance(model, DeepLabV3Logits)
    assert model.backbone_name == BACKBONE_ALIASES.get(backbone, backbone)
    model.eval()
    with paddle.no_grad():
        logits = model(paddle.rand([1, 3, 64, 96]))
        raw = model.model(paddle.rand([1, 3, 64, 96]))
    assert list(logits.shape) == [1, 2, 64, 96]
    assert isinstance(raw, list) and len(raw) == 1  # PaddleSeg's own output: [logits]
    assert np.isfinite(logits.numpy()).all()
    name = BACKBONE_ALIASES.get(backbone, backbone)
    assert count_parameters(model, trainable_only=True) == TRAINABLE_COUNTS[name]


def test_odd_input_size_and_other_class_counts(offline):
    model = deeplabv3(num_classes=3, backbone="MobileNetV3_small_x0_5")
    model.eval()
    with paddle.no_grad():
        assert list(model(paddle.rand([2, 3, 45, 70])).shape) == [2, 3, 45, 70]


def test_resnet_output_stride_16_and_defaults(offline):
    os8 = deeplabv3(2, "ResNet18_vd")
    os16 = deeplabv3(2, "ResNet18_vd", output_stride=16)
    assert os8.model.head.aspp.aspp_blocks[1]._conv._dilation == [12, 12]  # PaddleSeg's os8 config
    assert os16.model.head.aspp.aspp_blocks[1]._conv._dilation == [6, 6]
    assert count_parameters(os8) == count_parameters(os16)
    mobile = deeplabv3(2, "MobileNetV2")
    assert mobile.model.head.aspp.aspp_blocks[3]._conv._dilation == [9, 9]  # halved rates at stride 32
    assert list(mobile.model.backbone.feat_channels) == [24, 32, 96, 320]
    assert mobile.model.head.backbone_indices == (3,)


def test_unknown_backbone_lists_the_supported_ones():
    with pytest.raises(ValueError) as err:
        deeplabv3(2, "ResNet19_vd")
    message = str(err.value)
    for name in ("ResNet18_vd", "ResNet50_vd", "MobileNetV2_x1_0", "MobileNetV2 = MobileNetV2_x1_0", "HRNet_W18"):
        assert name in message
    assert set(SUPPORTED_BACKBONES) - {"ResNet34_vd"} <= set(paddleseg_backbones())


def test_bad_options_raise():
    with pytest.raises(ValueError, match="pass one index in 0..3"):
        deeplabv3(2, "MobileNetV3_small_x0_35", backbone_indices=(4,))
    with pytest.raises(ValueError, match="reads one feature map"):
        deeplabv3(2, "MobileNetV3_small_x0_35", backbone_indices=(0, 3))
    with pytest.raises(ValueError, match="ResNet_vd backbones only"):
        deeplabv3(2, "MobileNetV3_small_x0_35", output_stride=16)
    with pytest.raises(ValueError, match="8 or 16"):
        deeplabv3(2, "ResNet18_vd", output_stride=32)


def test_explicitly_named_backbones_build_twice_with_distinct_names(offline):
    # PaddleSeg's MobileNetV2 names its parameters ("conv1_1_weights" ...); without the guard the
    # second build in a process fails with "parameter name [...] have be been used".
    a, b = deeplabv3(2, "MobileNetV2_x0_25"), deeplabv3(2, "MobileNetV2_x0_25")
    names_a = {p.name for p in a.parameters()}
    names_b = {p.name for p in b.parameters()}
    assert len(names_a) == len(a.parameters()) and not names_a & names_b
    assert list(a.state_dict()) == list(b.state_dict())  # structured keys unchanged


def test_the_offline_guard_catches_a_download(offline):
    import paddleseg.utils.utils as seg_utils

    model = deeplabv3(2, "MobileNetV3_small_x0_35")
    with pytest.raises(AssertionError, match="network access attempted"):
        seg_utils.load_pretrained_model(model.model, "https://bj.bcebos.com/paddleseg/dygraph/none.tar.gz")


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:When training, we now always track global mean and variance")
@pytest.mark.parametrize("backbone", ["ResNet18_vd", "MobileNetV2", "MobileNetV3_small_x1_0"])
def test_a_few_sgd_steps_reduce_cross_entropy(offline, backbone):
    paddle.seed(0)
    model = deeplabv3(2, backbone)
    model.train()
    opt = paddle.optimizer.SGD(learning_rate=0.05, parameters=model.parameters())
    img, label = toy_batch()
    losses = []
    for _ in range(6):
        loss = F.cross_entropy(model(img), label, axis=1)
        loss.backward()
        opt.step()
        opt.clear_grad()
        losses.append(float(loss))
    assert all(np.isfinite(losses))
    assert losses[-1] < 0.8 * losses[0], losses


@pytest.mark.slow
def test_jit_save_matches_dygraph(offline, tmp_path):
    paddle.seed(0)
    model = deeplabv3(2, "MobileNetV3_small_x0_5")
    model.eval()
    paddle.jit.save(
        model, str(tmp_path / "seg"), input_spec=[paddle.static.InputSpec([None, 3, None, None], "float32", "x")]
    )
    loaded = paddle.jit.load(str(tmp_path / "seg"))
    for shape in ([1, 3, 64, 96], [2, 3, 48, 40]):
        x = paddle.rand(shape)
        with paddle.no_grad():
            expected = model(x)
        got = loaded(x)
        assert list(got.shape) == [shape[0], 2] + shape[2:]
        np.testing.assert_allclose(got.numpy(), expected.numpy(), atol=1e-5)


# ---------------------------------------------------------------------------------------------- pretrained backbone
PADDLESEG_RESNET50_VD = "https://bj.bcebos.com/paddleseg/dygraph/resnet50_vd_ssld_v2.tar.gz"


def test_the_segmenter_starts_from_random_weights_as_the_solution_did_and_the_imagenet_url_is_paddlesegs():
    """The solution's train.py leaves --deeplabv3_pretrain empty, so every profile starts from random weights;
    the ImageNet backbone stays an option (``pretrained: <url>``), the URL PaddleSeg's deeplabv3_resnet50_os8
    configs give."""
    from lib.config import load_config
    from lib.models.deeplab import PRETRAINED_URLS

    assert PRETRAINED_URLS["ResNet50_vd"] == PADDLESEG_RESNET50_VD
    assert load_config("deocclusion", "full")["seg_model"]["backbone"] == "ResNet50_vd"
    for profile in ("smoke", "demo", "full"):
        assert load_config("deocclusion", profile)["seg_model"]["pretrained"] is None


def test_pretrained_backbone_offline_is_a_clear_error(monkeypatch):
    """Building a segmenter with the ImageNet backbone without network stops at once, naming the URL and the
    option."""
    import paddleseg.utils.utils as seg_utils
    import requests

    from lib.models.deeplab import PretrainedWeightsError
    from lib.tracks import get_track
    from lib.train.registry import build_model

    def no_network(url):
        raise requests.exceptions.ConnectionError(f"Failed to resolve 'bj.bcebos.com' ({url})")

    monkeypatch.setattr(seg_utils, "download_pretrained_model", no_network)
    seg = get_track("deocclusion_seg")
    with pytest.raises(PretrainedWeightsError) as error:
        build_model({**seg.model_spec(seg.config("full")), "pretrained": PADDLESEG_RESNET50_VD})
    message = str(error.value)
    assert PADDLESEG_RESNET50_VD in message and "ConnectionError" in message
    assert "pretrained: null" in message and "lib/configs/<track>.yaml" in message


@pytest.mark.slow
def test_pretrained_backbone_weights_are_loaded_by_paddleseg(offline, tmp_path):
    """A local copy of the weights (what PaddleSeg's download leaves in ~/.paddleseg) is loaded into
    every backbone tensor; pretrained=None keeps the random initialisation."""
    import paddleseg.models.backbones as backbones

    paddle.seed(123)
    source = backbones.ResNet18_vd(pretrained=None)
    weights = {k: v.numpy() for k, v in source.state_dict().items()}
    path = tmp_path / "model.pdparams"
    paddle.save(source.state_dict(), str(path))
    loaded = deeplabv3(2, "ResNet18_vd", pretrained=str(path)).model.backbone.state_dict()
    assert set(loaded) == set(weights)
    for key, value in loaded.items():
        np.testing.assert_array_equal(value.numpy(), weights[key], err_msg=key)
    fresh = deeplabv3(2, "ResNet18_vd").model.backbone.state_dict()
    assert not np.array_equal(fresh["conv1_1._conv.weight"].numpy(), weights["conv1_1._conv.weight"])


# ---------------------------------------------------------------------------------------------- input normalisation
def test_input_norm_is_the_solutions_normalisation_against_numpy(offline):
    """full's input_norm [0.6, 0.2]: the network feeds PaddleSeg's model (x - 0.6) / 0.2 of the [0, 1] input,
    which is the solution's (img / 255 - 0.6) / 0.2 of the uint8 photo computed here in NumPy; the logits equal
    those of the same weights without the option fed that NumPy array; without the option the input goes as it is."""
    rng = np.random.default_rng(3)
    photo = rng.integers(0, 256, (2, 3, 48, 64), dtype=np.uint8)
    reference = (photo.astype(np.float64) / 255 - 0.6) / 0.2  # predict_onnx.py's arithmetic
    paddle.seed(0)
    normed = deeplabv3(2, "MobileNetV2_x0_25", aspp_out_channels=8, input_norm=[0.6, 0.2])
    paddle.seed(0)
    plain = deeplabv3(2, "MobileNetV2_x0_25", aspp_out_channels=8)
    plain.set_state_dict(normed.state_dict())
    normed.eval(), plain.eval()
    x = paddle.to_tensor(photo.astype(np.float32) / 255.0)  # what lib.train.data and occluder_score give
    assert normed.input_norm == (0.6, 0.2) and plain.input_norm is None
    np.testing.assert_allclose(normed.normalize(x).numpy(), reference, atol=1e-5)
    np.testing.assert_array_equal(plain.normalize(x).numpy(), x.numpy())
    with paddle.no_grad():
        got = normed(x).numpy()
        expected = plain(paddle.to_tensor(reference.astype(np.float32))).numpy()
        unnormalised = plain(x).numpy()
    scale = np.abs(expected).max()  # an untrained network's logits are small: compare relative to them
    assert scale > 0
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-3 * scale)
    assert np.abs(got - unnormalised).max() > 0.05 * scale  # the option changes what the network sees


@pytest.mark.parametrize("bad", [[0.6], [0.6, 0.0], [0.6, -1], "0.6,0.2", [True, 0.2]])
def test_input_norm_rejects_what_is_not_mean_and_positive_std(bad):
    with pytest.raises(ValueError, match="input_norm"):
        deeplabv3(2, "MobileNetV2_x0_25", input_norm=bad)


def test_full_profile_normalises_as_the_solution_and_demo_keeps_the_shipped_segmenters_input():
    from lib.tracks import get_track

    seg = get_track("deocclusion_seg")
    assert seg.config("full")["seg_model"]["input_norm"] == [0.6, 0.2]
    assert seg.config("demo")["seg_model"]["input_norm"] is None
    assert seg.config("smoke")["seg_model"]["input_norm"] is None


@pytest.mark.slow
def test_the_exported_segmenter_carries_the_input_normalisation(offline, tmp_path):
    """paddle.jit.save of a segmenter with input_norm: the static model gives the dygraph one's logits on [0, 1] input,
    so the submission's runners need no normalisation of their own."""
    paddle.seed(0)
    model = deeplabv3(2, "MobileNetV3_small_x0_5", input_norm=[0.6, 0.2])
    model.eval()
    paddle.jit.save(
        model, str(tmp_path / "seg"), input_spec=[paddle.static.InputSpec([None, 3, None, None], "float32", "x")]
    )
    loaded = paddle.jit.load(str(tmp_path / "seg"))
    x = paddle.rand([1, 3, 64, 96])
    with paddle.no_grad():
        expected = model(x).numpy()
    got = loaded(x).numpy()
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-3 * np.abs(expected).max())
