"""SDWNet (lib.models.sdwnet): the reference's parameter counts, names and shapes, the wavelet
branch, any input size, bad inputs, training and export."""

import copy

import numpy as np
import paddle
import pytest

from lib.config import ConfigError
from lib.models.nafnet import count_parameters
from lib.models.sdwnet import (
    SDWNET_CONFIGS,
    SDWNET_PARAM_COUNTS,
    AtrousBlock,
    SDWNet,
    WaveletBranch,
    sdwnet_from_config,
)
from lib.models.wavelet import haar_dwt_bands, haar_idwt_bands

# Measured with the reference PyTorch code (FlyEgle/SDWNet, AtrousNet_SRCNN_tail, width 32).
REFERENCE_COUNTS = {16: 10_748_803, 10: 7_209_859}


def tiny_net(num_blocks=2, d_mult=4, seed=0, **options):
    paddle.seed(seed)
    net = SDWNet(3, 3, num_blocks=num_blocks, d_mult=d_mult, **options)
    net.eval()
    return net


@pytest.mark.parametrize("num_blocks", sorted(REFERENCE_COUNTS))
def test_parameter_counts_match_reference(num_blocks):
    with paddle.LazyGuard():  # shapes only, no weights allocated
        net = SDWNet(3, 3, num_blocks=num_blocks, d_mult=32)
    assert count_parameters(net) == REFERENCE_COUNTS[num_blocks]


@pytest.mark.parametrize("name", sorted(SDWNET_CONFIGS))
def test_named_configs_have_their_counts(name):
    with paddle.LazyGuard():
        net = sdwnet_from_config(name)
    assert count_parameters(net) == SDWNET_PARAM_COUNTS[name]
    assert SDWNET_PARAM_COUNTS["paper"] == REFERENCE_COUNTS[16]
    assert SDWNET_PARAM_COUNTS["blocks10"] == REFERENCE_COUNTS[10]


def _reference_keys(num_blocks, d, c=3):
    """Parameter names and shapes of the reference AtrousNet_SRCNN_tail, written out from its source
    (main-path convs have no bias; only the SRCNN convs do)."""
    keys = {
        "downsampling_layers.0.conv.weight": [d, c, 7, 7],
        "downsampling_layers.1.conv.weight": [2 * d, d, 3, 3],
        "SRCNN.conv1.weight": [64, 7 * d, 9, 9],
        "SRCNN.conv1.bias": [64],
        "SRCNN.conv2.weight": [32, 64, 5, 5],
        "SRCNN.conv2.bias": [32],
        "SRCNN.conv3.weight": [c, 32, 5, 5],
        "SRCNN.conv3.bias": [c],
    }
    keys["blocks.0.projection.conv.weight"] = [4 * d, 2 * d, 1, 1]
    for i in range(num_blocks):
        for k in range(4):
            keys[f"blocks.{i}.atrous_layers.{k}.conv.weight"] = [2 * d, 4 * d, 3, 3]
        keys[f"blocks.{i}.conv1.conv.weight"] = [4 * d, 8 * d, 3, 3]
    keys["output_layer.0.conv.weight"] = [d, 7 * d, 3, 3]
    keys["output_layer.1.conv.weight"] = [c, d, 3, 3]
    return keys


def test_parameter_names_and_shapes_match_reference():
    net = SDWNet(3, 3, num_blocks=3, d_mult=4)
    ours = {k: list(v.shape) for k, v in net.state_dict().items()}
    assert ours == _reference_keys(3, 4)
    tops = list(dict.fromkeys(k.split(".")[0] for k in net.state_dict()))
    assert tops == ["downsampling_layers", "SRCNN", "blocks", "output_layer"]  # registration order


def test_reference_state_dict_loads_one_to_one():
    keys = _reference_keys(2, 4)
    rng = np.random.default_rng(0)
    weights = {k: (rng.standard_normal(s) * 0.1).astype("float32") for k, s in keys.items()}
    a, b = tiny_net(seed=1), tiny_net(seed=2)
    missing, unexpected = a.set_state_dict(weights)
    assert not missing and not unexpected
    b.set_state_dict(weights)
    x = paddle.rand([1, 3, 20, 20])
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())


def test_dilations_and_padding():
    net = SDWNet(3, 3, num_blocks=3, d_mult=4)
    dilations = [[list(layer.conv._dilation) for layer in block.atrous_layers] for block in net.blocks]
    assert dilations[0] == dilations[1] == [[1, 1], [2, 2], [4, 4], [8, 8]]
    assert dilations[2] == [[1, 1], [3, 3], [5, 5], [7, 7]]  # the last block
    assert net.min_size == 17
    # One block: it is both first and last, and the reference builds it with the first dilations.
    single = SDWNet(3, 3, num_blocks=1, d_mult=4)
    assert [list(layer.conv._dilation) for layer in single.blocks[0].atrous_layers] == [[1, 1], [2, 2], [4, 4], [8, 8]]
    # The main path pads by reflection, the wavelet branch with zeros (as in the reference).
    assert net.blocks[1].atrous_layers[3].conv._padding_mode == "reflect"
    assert net.downsampling_layers[1].conv._stride == [2, 2]
    assert net.SRCNN.conv1._padding_mode == "zeros"


def test_atrous_block_is_residual_around_projection():
    paddle.seed(0)
    block = AtrousBlock(4, 8, [1, 2, 4, 8], needs_projection=True)
    x = paddle.rand([1, 4, 20, 20])
    projected = block.projection(x)
    fused = block.conv1(paddle.concat([layer(projected) for layer in block.atrous_layers], axis=1))
    np.testing.assert_allclose(block(x).numpy(), (projected + fused).numpy(), rtol=1e-5, atol=1e-6)


def test_wavelet_branch_applies_the_same_convs_to_each_subband():
    paddle.seed(0)
    branch = WaveletBranch(5, 3)
    x = paddle.rand([2, 5, 12, 10])

    def convs(band):
        band = branch.relu(branch.conv1(band))
        return branch.conv3(branch.relu(branch.conv2(band)))

    expected = haar_idwt_bands(*(convs(band) for band in haar_dwt_bands(x)))
    out = branch(x)
    assert list(out.shape) == [2, 3, 12, 10]
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "options",
    [
        dict(kernel_size=9, padding=4),  # the wavelet branch's conv1
        dict(kernel_size=3, padding=1, padding_mode="reflect", bias_attr=False),  # output_layer.0
        dict(kernel_size=3, padding=3, dilation=3),
        dict(kernel_size=(3, 5), padding=2, padding_mode="reflect"),
    ],
)
def test_transposed_form_conv_equals_the_plain_conv(options):
    """Values and gradients (input, weight, bias) of TransposedFormConv2D against F.conv2d on the same
    parameters, in dygraph (the transposed form) and traced (the plain conv that is exported)."""
    import paddle.nn.functional as F
    from paddle.static import InputSpec

    from lib.models.layers import TransposedFormConv2D

    paddle.seed(0)
    conv = TransposedFormConv2D(21, 5, **options)
    x = paddle.rand([2, 21, 19, 16]) - 0.5
    x.stop_gradient = False
    pad, mode = options["padding"], options.get("padding_mode", "zeros")
    padded = F.pad(x, [pad] * 4, mode=mode) if mode != "zeros" else x
    ref = F.conv2d(padded, conv.weight, conv.bias, padding=0 if mode != "zeros" else pad, dilation=conv._dilation)
    out = conv(x)
    assert list(out.shape) == list(ref.shape)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-5, atol=1e-5)
    weight = paddle.rand(ref.shape)
    params = [x, conv.weight] + ([conv.bias] if conv.bias is not None else [])
    grads = paddle.grad((out * weight).sum(), params)
    expected = paddle.grad((ref * weight).sum(), params)
    for got, want in zip(grads, expected, strict=True):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-4)

    static = paddle.jit.to_static(conv, input_spec=[InputSpec([None, 21, None, None], "float32")], full_graph=True)
    np.testing.assert_allclose(static(x).numpy(), ref.numpy(), rtol=1e-5, atol=1e-5)
    ops = {op.name() for op in static.forward.concrete_program.main_program.global_block().ops}
    assert not any("transpose" in name for name in ops), sorted(ops)  # exported as the plain conv


def test_transposed_form_takes_only_stride_1_ungrouped_convs():
    from lib.models.layers import TransposedFormConv2D

    with pytest.raises(ValueError, match="stride 1"):
        TransposedFormConv2D(8, 4, 3, stride=2, padding=1)
    with pytest.raises(ValueError, match="groups 1"):
        TransposedFormConv2D(8, 4, 3, padding=1, groups=2)


def test_sdwnet_uses_the_transposed_form_only_for_its_two_narrowing_convs():
    from lib.models.layers import TransposedFormConv2D

    net = tiny_net()
    narrowing = sorted(name for name, layer in net.named_sublayers() if isinstance(layer, TransposedFormConv2D))
    assert narrowing == ["SRCNN.conv1", "output_layer.0.conv"]


@pytest.mark.parametrize("shape", [(1, 3, 37, 53), (2, 3, 18, 17), (1, 3, 17, 24)])
def test_any_input_size_keeps_shape(shape):
    net = tiny_net()
    out = net(paddle.rand(list(shape)))
    assert list(out.shape) == list(shape)
    assert np.isfinite(out.numpy()).all()


def test_odd_size_equals_crop_of_reflect_padded_input():
    net = tiny_net()
    x = paddle.rand([1, 3, 21, 30])
    padded = paddle.nn.functional.pad(x, [0, 0, 0, 1], mode="reflect")
    np.testing.assert_allclose(net(x).numpy(), net(padded).numpy()[:, :, :21], rtol=1e-5, atol=1e-5)


def test_fresh_output_stays_near_input():
    """PyTorch-style init: a fresh net is close to its global residual (values in [0, 1])."""
    net = tiny_net(num_blocks=3, d_mult=8)
    x = paddle.rand([1, 3, 32, 32])
    assert float((net(x) - x).abs().mean()) < 0.5


def test_zero_heads_start_at_the_identity_and_still_learn():
    """zero_heads: both branches' last conv starts at zero, so a fresh net returns its input exactly; those convs
    get a gradient at once (the branches' outputs can leave zero), the others' weights are initialised as usual."""
    net = tiny_net(num_blocks=2, d_mult=4, zero_heads=True)
    x = paddle.rand([2, 3, 32, 32])
    np.testing.assert_array_equal(net(x).numpy(), x.numpy())
    ((net(x) - paddle.rand([2, 3, 32, 32])) ** 2).mean().backward()
    heads = [net.output_layer[1].conv.weight, net.SRCNN.conv3.weight, net.SRCNN.conv3.bias]
    assert all(float(p.grad.abs().max()) > 0 for p in heads)
    assert float(net.output_layer[0].conv.weight.abs().max()) > 0


@pytest.mark.parametrize(
    "bad_shape, message",
    [
        ((1, 1, 32, 32), "in_channels=3"),
        ((3, 32, 32), "N x C x H x W"),
        ((1, 1, 3, 32, 32), "N x C x H x W"),
        ((1, 3, 16, 40), "at least 17"),
    ],
)
def test_bad_input_gives_clear_error(bad_shape, message):
    with pytest.raises(ValueError, match=message):
        tiny_net()(paddle.rand(list(bad_shape)))


def test_bad_construction_and_config():
    with pytest.raises(ValueError, match="must equal out_channels"):
        SDWNet(3, 1)
    with pytest.raises(ValueError, match="two lists of 4 dilations"):
        SDWNet(3, 3, atrousDim=[[1, 2, 4]])
    with pytest.raises(ValueError, match="unknown SDWNet config"):
        sdwnet_from_config("paper-wide")
    with pytest.raises(ConfigError, match="width"):
        sdwnet_from_config({"num_blocks": 2, "width": 8})
    net = sdwnet_from_config({"num_blocks": 2, "d_mult": 4})
    assert len(net.blocks) == 2


@pytest.mark.slow
def test_loss_decreases_and_every_parameter_gets_a_gradient():
    net = tiny_net()
    net.train()
    paddle.seed(1)
    blurred, sharp = paddle.rand([1, 3, 24, 24]), paddle.rand([1, 3, 24, 24])
    loss = paddle.nn.functional.l1_loss(net(blurred), sharp)
    loss.backward()
    no_grad = [n for n, p in net.named_parameters() if p.grad is None or not float(p.grad.abs().sum()) > 0]
    assert not no_grad
    net.clear_gradients()

    opt = paddle.optimizer.Adam(learning_rate=1e-3, parameters=net.parameters())
    losses = []
    for _ in range(20):
        loss = paddle.nn.functional.l1_loss(net(blurred), sharp)
        loss.backward()
        opt.step()
        opt.clear_grad()
        losses.append(float(loss))
    assert losses[-1] < 0.8 * losses[0]


@pytest.mark.slow
def test_jit_save_and_load_match_dygraph(tmp_path):
    from paddle.static import InputSpec

    net = tiny_net()
    spec = [InputSpec([None, 3, None, None], "float32", "x")]
    static = paddle.jit.to_static(copy.deepcopy(net), input_spec=spec, full_graph=True)  # net stays dygraph
    x = paddle.rand([1, 3, 37, 53])
    np.testing.assert_allclose(static(x).numpy(), net(x).numpy(), rtol=1e-5, atol=1e-5)

    prefix = str(tmp_path / "sdwnet")
    paddle.jit.save(copy.deepcopy(net), prefix, input_spec=spec)
    loaded = paddle.jit.load(prefix)
    for shape in [(1, 3, 37, 53), (2, 3, 24, 30)]:
        x = paddle.rand(list(shape))
        out = loaded(x)
        assert list(out.shape) == list(shape)
        np.testing.assert_allclose(out.numpy(), net(x).numpy(), rtol=1e-5, atol=1e-5)
