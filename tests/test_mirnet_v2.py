"""MIRNetV2 (lib.models.mirnet_v2): parameter counts of the official real-denoising model, of the
PaddlePaddle reproduction's variant and of the course demo; the official parameter names and
shapes; the blocks against NumPy; any input size; bad inputs; export with paddle.jit.save."""

import numpy as np
import paddle
import pytest

from lib.config import ConfigError
from lib.models.mirnet_v2 import (
    MIRNET_CONFIGS,
    MIRNET_PARAM_COUNTS,
    SKFF,
    ContextBlock,
    MIRNetV2,
    count_parameters,
    default_groups,
    mirnet_v2_from_config,
)

# Official real-denoising model (n_feat 80, chan_factor 1.5, 4 RRGs, n_MRB 2, bias False), measured
# with the reference PyTorch code (swz30/MIRNetv2).
REAL_DENOISING_COUNT = 5_858_560
# sldyns/MIRNetV2_paddle: MIRNet_v2(n_feat=64) with 3 RRGs (groups 1, 2, 4), counted from its code
# (the same layers as the official ones; _reference_keys below writes them out).
PADDLE_REPRO_COUNT = 3_120_288
DEMO_COUNT = 200_120


def _reference_keys(n_feat, chan_factor, n_MRB, groups, inp=3, out=3):
    """Parameter names and shapes of the official MIRNet_v2 (bias=False), written out from its
    source: conv_in, body.<rrg>.body.<mrb>.<...>, body.<rrg>.body.<n_MRB> (3x3 conv), conv_out."""
    top, mid, bot = n_feat, int(n_feat * chan_factor), int(n_feat * chan_factor**2)
    keys = {"conv_in.weight": [n_feat, inp, 3, 3], "conv_out.weight": [out, n_feat, 3, 3]}

    def rcb(prefix, c, g):
        keys[f"{prefix}.body.0.weight"] = [c, c // g, 3, 3]
        keys[f"{prefix}.body.2.weight"] = [c, c // g, 3, 3]
        keys[f"{prefix}.gcnet.conv_mask.weight"] = [1, c, 1, 1]
        keys[f"{prefix}.gcnet.channel_add_conv.0.weight"] = [c, c, 1, 1]
        keys[f"{prefix}.gcnet.channel_add_conv.2.weight"] = [c, c, 1, 1]

    def skff(prefix, c):
        d = max(int(c / 8), 4)
        keys[f"{prefix}.conv_du.0.weight"] = [d, c, 1, 1]
        keys[f"{prefix}.fcs.0.weight"] = [c, d, 1, 1]
        keys[f"{prefix}.fcs.1.weight"] = [c, d, 1, 1]

    for r, g in enumerate(groups):
        for m in range(n_MRB):
            p = f"body.{r}.body.{m}"
            rcb(f"{p}.dau_top", top, g)
            rcb(f"{p}.dau_mid", mid, g)
            rcb(f"{p}.dau_bot", bot, g)
            keys[f"{p}.down2.body.0.bot.1.weight"] = [mid, top, 1, 1]
            keys[f"{p}.down4.0.body.0.bot.1.weight"] = [mid, top, 1, 1]
            keys[f"{p}.down4.1.body.0.bot.1.weight"] = [bot, mid, 1, 1]
            for up in ("up21_1", "up21_2"):
                keys[f"{p}.{up}.body.0.bot.0.weight"] = [top, mid, 1, 1]
            for up in ("up32_1", "up32_2"):
                keys[f"{p}.{up}.body.0.bot.0.weight"] = [mid, bot, 1, 1]
            keys[f"{p}.conv_out.weight"] = [top, top, 1, 1]
            skff(f"{p}.skff_top", top)
            skff(f"{p}.skff_mid", mid)
        keys[f"body.{r}.body.{n_MRB}.weight"] = [n_feat, n_feat, 3, 3]
    return keys


def _count(keys):
    return sum(int(np.prod(shape)) for shape in keys.values())


def small_net(seed=0, **options):
    paddle.seed(seed)
    cfg = dict(n_feat=8, n_RRG=2, n_MRB=1)
    cfg.update(options)
    net = MIRNetV2(**cfg)
    net.eval()
    return net


@pytest.mark.parametrize(
    "name, expected",
    [
        ("real-denoising", REAL_DENOISING_COUNT),
        ("paddle-repro", PADDLE_REPRO_COUNT),
        ("demo", DEMO_COUNT),
    ],
)
def test_parameter_counts(name, expected):
    with paddle.LazyGuard():  # shapes only, no weights allocated
        net = mirnet_v2_from_config(name)
    assert count_parameters(net) == expected == MIRNET_PARAM_COUNTS[name]


def test_written_out_reference_layers_give_the_same_counts():
    """An independent count: the official layers written out by hand, no Paddle involved."""
    assert _count(_reference_keys(80, 1.5, 2, (1, 2, 4, 4))) == REAL_DENOISING_COUNT
    assert _count(_reference_keys(64, 1.5, 2, (1, 2, 4))) == PADDLE_REPRO_COUNT


def test_configs_are_the_official_and_the_reproduction_ones():
    official, repro = MIRNET_CONFIGS["real-denoising"], MIRNET_CONFIGS["paddle-repro"]
    assert official == dict(n_feat=80, chan_factor=1.5, n_RRG=4, n_MRB=2, height=3, width=2, bias=False)
    assert {k: v for k, v in repro.items() if k not in ("n_feat", "n_RRG")} == {
        k: v for k, v in official.items() if k not in ("n_feat", "n_RRG")
    }
    assert (repro["n_feat"], repro["n_RRG"]) == (64, 3)
    assert default_groups(4) == (1, 2, 4, 4) and default_groups(3) == (1, 2, 4)


def test_reproduction_parameter_file_is_under_20_mb():
    """float32 weights: 4 bytes a parameter (the reproduction reports 19.21 MB for its whole
    export folder, i.e. with the program file)."""
    size = MIRNET_PARAM_COUNTS["paddle-repro"] * 4
    assert size < 20 * 1024**2 and size < 20e6
    assert MIRNET_PARAM_COUNTS["real-denoising"] * 4 > 20e6  # the official model would not fit


def test_parameter_names_and_shapes_match_reference():
    net = MIRNetV2(n_feat=16, n_RRG=3, n_MRB=2)
    ours = {k: list(v.shape) for k, v in net.state_dict().items()}
    assert ours == _reference_keys(16, 1.5, 2, (1, 2, 4))
    assert list(dict.fromkeys(k.split(".")[0] for k in ours)) == ["conv_in", "body", "conv_out"]
    # MRB registers its layers in the reference's order.
    mrb = [k.split(".")[4] for k in ours if k.startswith("body.0.body.0.")]
    assert list(dict.fromkeys(mrb)) == [
        "dau_top",
        "dau_mid",
        "dau_bot",
        "down2",
        "down4",
        "up21_1",
        "up21_2",
        "up32_1",
        "up32_2",
        "conv_out",
        "skff_top",
        "skff_mid",
    ]


def test_reference_state_dict_loads_one_to_one():
    keys = _reference_keys(8, 1.5, 1, (1, 2))
    rng = np.random.default_rng(0)
    weights = {k: (rng.standard_normal(shape) * 0.2).astype("float32") for k, shape in keys.items()}
    a, b = small_net(seed=1), small_net(seed=2)
    missing, unexpected = a.set_state_dict(weights)
    assert not missing and not unexpected
    b.set_state_dict(weights)
    x = paddle.rand([1, 3, 12, 16])
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())


def test_bias_option_adds_biases_where_the_reference_does():
    with paddle.LazyGuard():
        net = MIRNetV2(n_feat=16, n_RRG=1, n_MRB=1, bias=True)
    biased = {k.rsplit(".", 1)[0] for k in net.state_dict() if k.endswith(".bias")}
    assert "conv_in" in biased and "body.0.body.1" in biased and "body.0.body.0.dau_top.body.0" in biased
    # SKFF, Down and Up never have biases in the reference.
    assert not [k for k in biased if "skff" in k or "down" in k or "up" in k]


@pytest.mark.parametrize("shape", [(1, 3, 37, 53), (2, 3, 16, 16), (1, 3, 3, 30)])
def test_any_input_size_keeps_shape(shape):
    out = small_net()(paddle.rand(list(shape)))
    assert list(out.shape) == list(shape)
    assert np.isfinite(out.numpy()).all()


def test_odd_size_equals_crop_of_reflect_padded_input():
    net = small_net()
    x = paddle.rand([1, 3, 21, 30])
    padded = paddle.nn.functional.pad(x, [0, 2, 0, 3], mode="reflect")  # to 24 x 32
    np.testing.assert_allclose(net(x).numpy(), net(padded).numpy()[:, :, :21, :30], rtol=1e-5, atol=1e-5)


def test_output_is_input_plus_residual():
    net = small_net()
    x = paddle.rand([1, 3, 12, 12])
    assert float((net(x) - x).abs().max()) > 1e-4
    net.conv_out.weight.set_value(paddle.zeros(net.conv_out.weight.shape))  # R = 0
    np.testing.assert_array_equal(net(x).numpy(), x.numpy())


def test_defocus_task_uses_feature_residual_and_six_channels():
    net = small_net(inp_channels=6, out_channels=3, task="defocus_deblurring")
    out = net(paddle.rand([1, 6, 10, 14]))
    assert list(out.shape) == [1, 3, 10, 14]
    net.conv_out.weight.set_value(paddle.zeros(net.conv_out.weight.shape))
    assert float(net(paddle.rand([1, 6, 8, 8])).abs().max()) == 0.0  # no image residual


def test_context_block_matches_numpy():
    paddle.seed(3)
    block = ContextBlock(5)
    x = np.random.default_rng(1).standard_normal((2, 5, 4, 3)).astype("float32")
    wm = block.conv_mask.weight.numpy()[0, :, 0, 0]
    w1 = block.channel_add_conv[0].weight.numpy()[:, :, 0, 0]
    w2 = block.channel_add_conv[2].weight.numpy()[:, :, 0, 0]
    flat = x.reshape(2, 5, -1)
    logits = np.einsum("c,ncp->np", wm, flat)
    attn = np.exp(logits - logits.max(axis=1, keepdims=True))
    attn /= attn.sum(axis=1, keepdims=True)  # softmax over the H*W positions
    context = np.einsum("ncp,np->nc", flat, attn)
    hidden = context @ w1.T
    hidden = np.where(hidden > 0, hidden, 0.2 * hidden)  # LeakyReLU(0.2)
    expected = x + (hidden @ w2.T)[:, :, None, None]
    np.testing.assert_allclose(block(paddle.to_tensor(x)).numpy(), expected, rtol=1e-4, atol=1e-5)


def test_skff_fuses_then_selects():
    paddle.seed(4)
    skff = SKFF(16, height=2)
    rng = np.random.default_rng(2)
    a, b = (rng.standard_normal((2, 16, 5, 6)).astype("float32") for _ in range(2))
    wd = skff.conv_du[0].weight.numpy()[:, :, 0, 0]  # 4 x 16: max(16 / 8, 4) channels
    assert wd.shape == (4, 16)
    z = (a + b).mean(axis=(2, 3)) @ wd.T  # fuse: sum, global average pool, 1x1
    z = np.where(z > 0, z, 0.2 * z)
    logits = np.stack([z @ fc.weight.numpy()[:, :, 0, 0].T for fc in skff.fcs], axis=1)  # N x 2 x C
    weights = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)  # select: softmax over streams
    expected = a * weights[:, 0, :, None, None] + b * weights[:, 1, :, None, None]
    got = skff([paddle.to_tensor(a), paddle.to_tensor(b)]).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_mrb_streams_have_the_reference_widths_and_sizes():
    net = MIRNetV2(n_feat=16, n_RRG=1, n_MRB=1)
    mrb = net.body[0].body[0]
    x = paddle.rand([1, 16, 12, 20])
    assert list(mrb.down2(x).shape) == [1, 24, 6, 10]
    assert list(mrb.down4(x).shape) == [1, 36, 3, 5]
    assert list(mrb.up32_1(paddle.rand([1, 36, 3, 5])).shape) == [1, 24, 6, 10]
    assert list(mrb.up21_1(paddle.rand([1, 24, 6, 10])).shape) == [1, 16, 12, 20]
    assert list(mrb(x).shape) == [1, 16, 12, 20]


@pytest.mark.parametrize(
    "bad_shape, message",
    [
        ((1, 1, 16, 16), "inp_channels=3"),
        ((3, 16, 16), "N x C x H x W"),
        ((1, 1, 3, 16, 16), "N x C x H x W"),
        ((1, 3, 2, 16), "at least 3"),
    ],
)
def test_bad_input_gives_clear_error(bad_shape, message):
    with pytest.raises(ValueError, match=message):
        small_net()(paddle.rand(list(bad_shape)))


def test_bad_construction_and_config():
    with pytest.raises(ValueError, match="inconsistent stream widths"):
        MIRNetV2(n_feat=30)  # 30 -> 45 -> 67, but 67 // 1.5 = 44
    with pytest.raises(ValueError, match="must divide"):
        MIRNetV2(n_feat=8, n_RRG=3)  # groups 4 do not divide the 18-channel stream
    with pytest.raises(ValueError, match="one value per RRG"):
        MIRNetV2(n_feat=8, n_RRG=2, groups=[1])
    with pytest.raises(ValueError, match="height=3"):
        MIRNetV2(n_feat=8, height=4)
    with pytest.raises(ValueError, match="inp_channels == out_channels"):
        MIRNetV2(n_feat=8, inp_channels=6)
    with pytest.raises(ValueError, match="unknown MIRNetV2 config"):
        mirnet_v2_from_config("real_denoising")
    with pytest.raises(ConfigError, match="n_feats"):
        mirnet_v2_from_config({"n_feats": 8})
    with paddle.LazyGuard():
        net = mirnet_v2_from_config({"n_feat": 16, "n_RRG": 2, "n_MRB": 1, "groups": [1, 1]})
    assert net.groups == (1, 1)


@pytest.mark.slow
def test_jit_save_matches_dygraph_on_odd_size(tmp_path):
    from paddle.static import InputSpec

    net = small_net(seed=5)
    prefix = str(tmp_path / "mirnet")
    paddle.jit.save(net, prefix, input_spec=[InputSpec([None, 3, None, None], "float32", "x")])
    loaded = paddle.jit.load(prefix)
    for shape in ([1, 3, 37, 22], [2, 3, 16, 41]):  # dynamic batch and size, padded inside
        x = paddle.rand(shape)
        np.testing.assert_allclose(loaded(x).numpy(), net(x).numpy(), rtol=1e-5, atol=1e-5)
