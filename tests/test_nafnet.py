"""NAFNet (lib.models.nafnet): parameter counts of the paper and competition configs, the
reference's parameter names and shapes, any input size, bad inputs, and the cost helpers."""

import contextlib
import io

import numpy as np
import paddle
import pytest

from lab.complexity import conv_macs, scaled_conv_macs
from lib.config import PROFILES, ConfigError, load_config
from lib.models.nafnet import (
    NAFNET_CONFIGS,
    LayerNorm2d,
    NAFBlock,
    NAFNet,
    SimpleGate,
    SimplifiedChannelAttention,
    count_parameters,
    nafnet_from_config,
)

# Counts measured with the reference PyTorch code (megvii-research/NAFNet).
REFERENCE_COUNTS = {
    "gopro-width32": 17_111_907,
    "gopro-width64": 67_888_835,
    "sidd-width32": 29_159_715,
    "sidd-width64": 115_982_915,
    "competition": 8_702_307,
}


def small_net(width=4, enc=(1, 1), middle=1, dec=(1, 1), seed=0, img_channel=3):
    """A tiny NAFNet whose blocks are active (beta, gamma are zero at init, which hides bugs)."""
    paddle.seed(seed)
    net = NAFNet(img_channel, width, middle, list(enc), list(dec))
    for name, p in net.named_parameters():
        if name.endswith(".beta") or name.endswith(".gamma"):
            p.set_value(paddle.randn(p.shape) * 0.3)
    net.eval()
    return net


@pytest.mark.parametrize("name", sorted(REFERENCE_COUNTS))
def test_parameter_counts_match_reference(name):
    with paddle.LazyGuard():  # shapes only, no weights allocated
        net = nafnet_from_config(name)
    assert count_parameters(net) == REFERENCE_COUNTS[name]


def test_competition_config_is_gopro_width32_with_shallower_bottom():
    comp, gopro = NAFNET_CONFIGS["competition"], NAFNET_CONFIGS["gopro-width32"]
    assert comp["enc_blk_nums"] == [1, 1, 1, 10] and gopro["enc_blk_nums"] == [1, 1, 1, 28]
    assert {k: v for k, v in comp.items() if k != "enc_blk_nums"} == {
        k: v for k, v in gopro.items() if k != "enc_blk_nums"
    }


def _reference_keys(width, enc, middle, dec, img_channel=3):
    """Parameter names and shapes of the reference PyTorch NAFNet, written out from its source."""
    keys = {
        "intro.weight": [width, img_channel, 3, 3],
        "intro.bias": [width],
        "ending.weight": [img_channel, width, 3, 3],
        "ending.bias": [img_channel],
    }

    def block(prefix, c):
        keys.update(
            {
                f"{prefix}.beta": [1, c, 1, 1],
                f"{prefix}.gamma": [1, c, 1, 1],
                f"{prefix}.conv1.weight": [2 * c, c, 1, 1],
                f"{prefix}.conv1.bias": [2 * c],
                f"{prefix}.conv2.weight": [2 * c, 1, 3, 3],
                f"{prefix}.conv2.bias": [2 * c],
                f"{prefix}.conv3.weight": [c, c, 1, 1],
                f"{prefix}.conv3.bias": [c],
                f"{prefix}.sca.1.weight": [c, c, 1, 1],
                f"{prefix}.sca.1.bias": [c],
                f"{prefix}.conv4.weight": [2 * c, c, 1, 1],
                f"{prefix}.conv4.bias": [2 * c],
                f"{prefix}.conv5.weight": [c, c, 1, 1],
                f"{prefix}.conv5.bias": [c],
                f"{prefix}.norm1.weight": [c],
                f"{prefix}.norm1.bias": [c],
                f"{prefix}.norm2.weight": [c],
                f"{prefix}.norm2.bias": [c],
            }
        )

    chan = width
    for i, n in enumerate(enc):
        for j in range(n):
            block(f"encoders.{i}.{j}", chan)
        keys[f"downs.{i}.weight"] = [2 * chan, chan, 2, 2]
        keys[f"downs.{i}.bias"] = [2 * chan]
        chan *= 2
    for j in range(middle):
        block(f"middle_blks.{j}", chan)
    for i, n in enumerate(dec):
        keys[f"ups.{i}.0.weight"] = [2 * chan, chan, 1, 1]  # no bias
        chan //= 2
        for j in range(n):
            block(f"decoders.{i}.{j}", chan)
    return keys


def test_parameter_names_and_shapes_match_reference():
    width, enc, middle, dec = 4, [1, 2], 2, [2, 1]
    net = NAFNet(3, width, middle, enc, dec)
    ours = {k: list(v.shape) for k, v in net.state_dict().items()}
    assert ours == _reference_keys(width, enc, middle, dec)
    # The reference registers intro, ending, encoders, decoders, middle_blks, ups, downs in this order.
    tops = list(dict.fromkeys(k.split(".")[0] for k in net.state_dict()))
    assert tops == ["intro", "ending", "encoders", "decoders", "middle_blks", "ups", "downs"]


def test_reference_state_dict_loads_one_to_one():
    """A state dict keyed and shaped like the reference's loads and fully determines the output."""
    keys = _reference_keys(4, [1, 1], 1, [1, 1])
    rng = np.random.default_rng(0)
    weights = {k: (rng.standard_normal(shape) * 0.2).astype("float32") for k, shape in keys.items()}
    a, b = NAFNet(3, 4, 1, [1, 1], [1, 1]), NAFNet(3, 4, 1, [1, 1], [1, 1])
    missing, unexpected = a.set_state_dict(weights)
    assert not missing and not unexpected
    b.set_state_dict(weights)
    x = paddle.rand([1, 3, 20, 20])
    a.eval(), b.eval()
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())


@pytest.mark.parametrize("shape", [(1, 3, 37, 53), (2, 3, 16, 16), (1, 3, 5, 70)])
def test_any_input_size_keeps_shape(shape):
    net = small_net()
    out = net(paddle.rand(list(shape)))
    assert list(out.shape) == list(shape)
    assert np.isfinite(out.numpy()).all()


def test_odd_size_equals_crop_of_zero_padded_input():
    """Inside, an odd input is zero-padded bottom/right to a multiple of 2^levels and cropped back."""
    net = small_net(enc=(1, 1, 1), dec=(1, 1, 1))  # 3 levels: multiple of 8
    x = paddle.rand([1, 3, 21, 30])
    padded = paddle.nn.functional.pad(x, [0, 2, 0, 3])  # to 24 x 32
    np.testing.assert_allclose(net(x).numpy(), net(padded).numpy()[:, :, :21, :30], rtol=1e-5, atol=1e-5)


def test_layernorm2d_matches_numpy():
    ln = LayerNorm2d(5)
    ln.weight.set_value(paddle.to_tensor(np.arange(1, 6, dtype="float32")))
    ln.bias.set_value(paddle.to_tensor(np.linspace(-1, 1, 5).astype("float32")))
    x = np.random.default_rng(1).standard_normal((2, 5, 4, 3)).astype("float32") * 3 + 1
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)  # population variance, as the reference
    expected = (x - mu) / np.sqrt(var + 1e-6) * np.arange(1, 6).reshape(1, 5, 1, 1) + np.linspace(-1, 1, 5).reshape(
        1, 5, 1, 1
    )
    np.testing.assert_allclose(ln(paddle.to_tensor(x)).numpy(), expected, rtol=1e-4, atol=1e-4)


def test_layernorm2d_gradient_matches_formula():
    """The fused layer_norm path back-propagates like the formula written with tensor ops."""
    x_np = np.random.default_rng(3).standard_normal((1, 6, 5, 4)).astype("float32")
    r = paddle.to_tensor(np.random.default_rng(4).standard_normal((1, 6, 5, 4)).astype("float32"))
    grads = []
    for fused in (True, False):
        x = paddle.to_tensor(x_np, stop_gradient=False)
        if fused:
            y = LayerNorm2d(6)(x)
        else:
            mu = x.mean(axis=1, keepdim=True)
            y = (x - mu) / paddle.sqrt(((x - mu) ** 2).mean(axis=1, keepdim=True) + 1e-6)
        (y * r).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-3, atol=1e-4)


def test_simple_gate_and_sca():
    x = np.random.default_rng(2).standard_normal((2, 6, 5, 7)).astype("float32")
    gated = SimpleGate()(paddle.to_tensor(x)).numpy()
    np.testing.assert_allclose(gated, x[:, :3] * x[:, 3:], rtol=1e-6)

    sca = SimplifiedChannelAttention(6)
    w = sca[1].weight.numpy()[:, :, 0, 0]
    b = sca[1].bias.numpy()
    expected = np.einsum("oc,nc->no", w, x.mean(axis=(2, 3))) + b
    np.testing.assert_allclose(sca(paddle.to_tensor(x)).numpy()[:, :, 0, 0], expected, rtol=1e-4, atol=1e-5)


def test_fresh_block_is_identity_and_trained_block_is_not():
    block = NAFBlock(8)
    x = paddle.randn([1, 8, 6, 6])
    np.testing.assert_array_equal(block(x).numpy(), x.numpy())
    block.beta.set_value(paddle.full([1, 8, 1, 1], 0.5))
    assert float((block(x) - x).abs().max()) > 1e-3


def test_initialisation_like_reference_keeps_fresh_output_near_input():
    """PyTorch-style init (U(+-1/sqrt(fan_in))): a fresh net is close to its global residual.
    With Paddle's default conv init the same net's output is off by ~20 (values in [0, 1])."""
    paddle.seed(0)
    net = NAFNet(3, 8, 1, [1, 1, 1, 1], [1, 1, 1, 1])
    for name, layer in net.named_sublayers():
        if isinstance(layer, paddle.nn.Conv2D):
            fan_in = layer.weight.shape[1] * layer.weight.shape[2] * layer.weight.shape[3]
            assert float(layer.weight.abs().max()) <= 1 / np.sqrt(fan_in) + 1e-7, name
    x = paddle.rand([2, 3, 64, 64])
    net.eval()
    assert float((net(x) - x).abs().mean()) < 0.5


def _convs(net):
    return [(name, layer) for name, layer in net.named_sublayers() if isinstance(layer, paddle.nn.Conv2D)]


@pytest.mark.parametrize("groups", [1, 4])
def test_paddle_init_is_a_plain_nn_conv2d(groups):
    """init "paddle" (the deblur solution's nafnet_arch.py builds plain nn.Conv2D): the very weights
    nn.Conv2D draws by default for the same seed, and a zero bias."""
    from lib.models.nafnet import conv2d

    paddle.seed(7)
    ours = conv2d(8, 8, 3, padding=1, groups=groups, init="paddle")
    paddle.seed(7)
    plain = paddle.nn.Conv2D(8, 8, 3, padding=1, groups=groups)
    np.testing.assert_array_equal(ours.weight.numpy(), plain.weight.numpy())
    assert not ours.bias.numpy().any()


def test_paddle_init_statistics_match_paddles_default_initialiser():
    """Every conv of a NAFNet built with init "paddle": weight ~ Normal(0, sqrt(2 / (k * k * in_channels)))
    with in_channels the layer's whole input (Paddle's _ConvNd, even for the depthwise conv), bias 0."""
    paddle.seed(0)
    net = nafnet_from_config(
        {"width": 16, "enc_blk_nums": [1, 2], "middle_blk_num": 1, "dec_blk_nums": [1, 1], "init": "paddle"}
    )
    convs = _convs(net)
    assert len(convs) == 2 + 6 * 6 + 2 + 2  # intro, ending; 6 blocks of 6; downs; ups
    pooled = []
    for name, layer in convs:
        w = layer.weight.numpy().astype(np.float64)
        std = np.sqrt(2.0 / (layer._kernel_size[0] * layer._kernel_size[1] * layer._in_channels))
        n = w.size
        assert abs(w.mean()) < 5 * std / np.sqrt(n), name
        assert abs(w.std() / std - 1) < 5 / np.sqrt(2 * n), (name, w.std(), std)
        if layer.bias is not None:
            assert not layer.bias.numpy().any(), name
        pooled.append(w.ravel() / std)
    z = np.concatenate(pooled)
    # normal, not uniform: ~4.6 % beyond 2 sigma (a uniform of that std has none beyond 1.73 sigma)
    assert 0.04 < np.mean(np.abs(z) > 2) < 0.052
    depthwise = net.encoders[0][0].conv2
    assert depthwise._groups == 32 and depthwise.weight.shape == [32, 1, 3, 3]
    assert abs(depthwise.weight.numpy().std() - np.sqrt(2 / (9 * 32))) < 0.03  # not sqrt(2 / 9) = 0.47


def test_pytorch_init_is_todays_default_bit_for_bit():
    """init "pytorch" (the default) draws what the course always drew: every conv U(-b, b), b = 1 / sqrt(fan_in),
    fan_in = in_channels / groups * k * k, weight then bias, as a Conv2D given that initialiser draws them."""
    from lib.models.nafnet import conv2d

    spec = {"width": 8, "enc_blk_nums": [1, 1], "middle_blk_num": 1, "dec_blk_nums": [1, 1]}
    paddle.seed(3)
    default = nafnet_from_config(spec).state_dict()
    paddle.seed(3)
    pytorch = nafnet_from_config({**spec, "init": "pytorch"}).state_dict()
    assert default.keys() == pytorch.keys()
    for key in default:
        np.testing.assert_array_equal(default[key].numpy(), pytorch[key].numpy(), err_msg=key)

    bound = 1 / np.sqrt(16 // 16 * 3 * 3)
    paddle.seed(5)
    ours = conv2d(16, 16, 3, padding=1, groups=16)
    paddle.seed(5)

    def uniform():
        return paddle.ParamAttr(initializer=paddle.nn.initializer.Uniform(-bound, bound))

    reference = paddle.nn.Conv2D(16, 16, 3, padding=1, groups=16, weight_attr=uniform(), bias_attr=uniform())
    np.testing.assert_array_equal(ours.weight.numpy(), reference.weight.numpy())
    np.testing.assert_array_equal(ours.bias.numpy(), reference.bias.numpy())
    assert np.abs(ours.bias.numpy()).max() <= bound and ours.bias.numpy().any()


def test_unknown_init_is_an_error():
    with pytest.raises(ValueError, match="init must be one of pytorch, paddle"):
        nafnet_from_config({"width": 8, "enc_blk_nums": [1], "dec_blk_nums": [1], "init": "xavier"})


@pytest.mark.parametrize(
    "bad_shape, message",
    [
        ((1, 1, 16, 16), "img_channel=3"),
        ((3, 16, 16), "N x C x H x W"),
        ((1, 1, 3, 16, 16), "N x C x H x W"),
    ],
)
def test_bad_input_gives_clear_error(bad_shape, message):
    net = small_net()
    with pytest.raises(ValueError, match=message):
        net(paddle.rand(list(bad_shape)))


def test_bad_construction_and_config():
    with pytest.raises(ValueError, match="same length"):
        NAFNet(3, 8, 1, [1, 1], [1])
    with pytest.raises(ValueError, match="unknown NAFNet config"):
        nafnet_from_config("gopro-width33")
    with pytest.raises(ConfigError, match="enc_blocks"):
        nafnet_from_config({"width": 8, "enc_blocks": [1]})


@pytest.mark.slow
def test_to_static_matches_dygraph():
    net = small_net()
    x = paddle.rand([1, 3, 24, 40])
    static = paddle.jit.to_static(net, full_graph=True)
    np.testing.assert_allclose(static(x).numpy(), net(x).numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("profile", PROFILES)
def test_yaml_model_section_builds(profile):
    options = load_config("deblur", profile)["model"]
    with paddle.LazyGuard():
        net = nafnet_from_config(options)
    n = count_parameters(net)
    if profile == "full":
        assert n == REFERENCE_COUNTS["competition"]
    else:
        assert n < REFERENCE_COUNTS["competition"]


def test_conv_macs_match_formula_and_paddle_flops():
    paddle.seed(0)
    conv = paddle.nn.Conv2D(6, 10, 3, padding=1, groups=2)
    assert conv_macs(conv, (1, 6, 8, 9)) == 10 * 8 * 9 * (6 // 2) * 3 * 3

    net = small_net(enc=(1, 1, 1, 1), dec=(1, 1, 1, 1))
    macs = conv_macs(net, (1, 3, 64, 64))
    with contextlib.redirect_stdout(io.StringIO()):  # paddle.flops prints per-layer notes
        # the course's Conv2D (a subclass with a faster bias add) counted as paddle's own
        from paddle.hapi.dynamic_flops import count_convNd

        from lib.models.channel_ops import Conv2D

        flops = paddle.flops(net, [1, 3, 64, 64], custom_ops={Conv2D: count_convNd})
    # paddle.flops = conv MACs + one add per biased conv output + pooling adds. In this width-4 net
    # a depthwise 3x3 output costs 9 MACs + 1 bias add, so the extra is about 10%.
    assert macs < flops < 1.15 * macs
    # Sizes that need no padding scale exactly with the pixel count.
    assert scaled_conv_macs(net, (128, 128), probe_hw=(64, 64)) == conv_macs(net, (1, 3, 128, 128))
