"""gUNet and the face-retouching RetouchGUNet (lib.models.gunet): the reference's parameter counts,
names, shapes and initialisation, any input size, export, bad inputs, and the K/D recovery."""

import math

import numpy as np
import paddle
import paddle.nn.functional as F
import pytest

from lib.config import ConfigError
from lib.models.gunet import (
    GUNET_CONFIGS,
    GUNET_PARAM_COUNTS,
    K_EPS,
    BasicBlock,
    ConvLayer,
    PatchEmbed,
    RetouchGUNet,
    SKFusion,
    count_parameters,
    gConv,
    gUNet,
    gunet_from_config,
    recover_clean,
)

# Counts measured with the reference PyTorch code (IDKiro/gUNet).
REFERENCE_COUNTS = {"gunet-t": 844_899, "gunet-s": 1_477_059, "gunet-b": 2_741_379, "gunet-d": 5_270_019}


def tiny_gunet(seed=0):
    """2 levels, kernel 3, width 4: min side 5, padding multiple 4."""
    paddle.seed(seed)
    net = gUNet(kernel_size=3, base_dim=4, depths=[1, 1, 1, 1, 1])
    net.eval()
    return net


def tiny_retouch(seed=0, head_scale=0.1):
    """3 levels, kernel 3, width 4, injection at 3 scales; random head (a fresh one is the identity)."""
    paddle.seed(seed)
    net = RetouchGUNet(kernel_size=3, base_dim=4, depths=[1] * 7, inject_levels=3)
    head = net.outconv.proj[0]
    head.weight.set_value(paddle.randn(head.weight.shape) * head_scale)
    net.eval()
    return net


# ---------------------------------------------------------------------------------------------
# gUNet: the reference
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(REFERENCE_COUNTS))
def test_parameter_counts_match_reference(name):
    with paddle.LazyGuard():  # shapes only, no weights allocated
        net = gunet_from_config(name)
    # Paddle keeps BatchNorm's running mean/variance as non-trainable parameters (PyTorch: buffers).
    assert count_parameters(net, trainable_only=True) == REFERENCE_COUNTS[name]
    bn_stats = 2 * sum(d * n for d, n in zip(net.embed_dims, net.depths))
    assert count_parameters(net) == REFERENCE_COUNTS[name] + bn_stats


@pytest.mark.parametrize("name", sorted(GUNET_CONFIGS))
def test_table_of_counts(name):
    with paddle.LazyGuard():
        net = gunet_from_config(name)
    assert count_parameters(net, trainable_only=True) == GUNET_PARAM_COUNTS[name]


def test_paper_configs_differ_only_in_depth():
    t = GUNET_CONFIGS["gunet-t"]
    assert t == dict(kernel_size=5, base_dim=24, depths=[2, 2, 2, 4, 2, 2, 2])
    for name, factor in (("gunet-s", 2), ("gunet-b", 4), ("gunet-d", 8)):
        assert GUNET_CONFIGS[name] == dict(t, depths=[d * factor for d in t["depths"]])


def _reference_keys(kernel_size, base_dim, depths):
    """Parameter names and shapes of the reference PyTorch gUNet (trainable ones), from its source."""
    half = len(depths) // 2
    dims = [2**i * base_dim for i in range(half)]
    dims = dims + [2**half * base_dim] + dims[::-1]
    keys = {"inconv.proj.weight": [dims[0], 3, 3, 3], "inconv.proj.bias": [dims[0]]}
    for i, (dim, depth) in enumerate(zip(dims, depths)):
        for j in range(depth):
            p = f"layers.{i}.blocks.{j}"
            keys.update(
                {
                    f"{p}.norm.weight": [dim],
                    f"{p}.norm.bias": [dim],
                    f"{p}.conv.Wv.0.weight": [dim, dim, 1, 1],
                    f"{p}.conv.Wv.0.bias": [dim],
                    f"{p}.conv.Wv.1.weight": [dim, 1, kernel_size, kernel_size],
                    f"{p}.conv.Wv.1.bias": [dim],
                    f"{p}.conv.Wg.0.weight": [dim, dim, 1, 1],
                    f"{p}.conv.Wg.0.bias": [dim],
                    f"{p}.conv.proj.weight": [dim, dim, 1, 1],
                    f"{p}.conv.proj.bias": [dim],
                }
            )
    for i in range(half):
        c, c2 = dims[i], dims[i + 1]
        d = max(int(c / 8), 4)
        keys.update(
            {
                f"downs.{i}.proj.weight": [c2, c, 2, 2],
                f"downs.{i}.proj.bias": [c2],
                f"ups.{i}.proj.0.weight": [4 * c, c2, 1, 1],
                f"ups.{i}.proj.0.bias": [4 * c],
                f"skips.{i}.weight": [c, c, 1, 1],
                f"skips.{i}.bias": [c],
                f"fusions.{i}.mlp.1.weight": [d, c, 1, 1],
                f"fusions.{i}.mlp.3.weight": [2 * c, d, 1, 1],
            }
        )
    keys.update({"outconv.proj.0.weight": [3, dims[-1], 3, 3], "outconv.proj.0.bias": [3]})
    return keys


def test_parameter_names_and_shapes_match_reference():
    depths = [1, 2, 1, 3, 1, 1, 2]
    net = gUNet(kernel_size=5, base_dim=8, depths=depths)
    ours = {k: list(v.shape) for k, v in net.named_parameters() if not v.stop_gradient}
    assert ours == _reference_keys(5, 8, depths)
    stats = [k for k, v in net.named_parameters() if v.stop_gradient]
    assert all(k.endswith(("norm._mean", "norm._variance")) for k in stats)
    # The reference registers inconv, layers, downs, ups, skips, fusions, outconv in this order.
    tops = list(dict.fromkeys(k.split(".")[0] for k in net.state_dict()))
    assert tops == ["inconv", "layers", "downs", "ups", "skips", "fusions", "outconv"]


def test_initialisation_like_reference():
    paddle.seed(0)
    net = gUNet(kernel_size=5, base_dim=16, depths=[2, 2, 4, 2, 2])  # net_depth 12
    gain = (8 * 12) ** (-1 / 4)
    gconv_weights = []
    for name, layer in net.named_sublayers():
        if isinstance(layer, ConvLayer):
            for conv in (layer.Wv[0], layer.Wv[1], layer.Wg[0], layer.proj):
                w = conv.weight.numpy()
                fan_in = w.shape[1] * w.shape[2] * w.shape[3]
                fan_out = w.shape[0] * w.shape[2] * w.shape[3]
                gconv_weights.append(w.ravel() / (gain * math.sqrt(2 / (fan_in + fan_out))))
                assert not conv.bias.numpy().any(), name
        elif isinstance(layer, paddle.nn.Conv2D) and ".conv." not in f".{name}.":
            w = layer.weight.numpy()
            bound = 1 / math.sqrt(w.shape[1] * w.shape[2] * w.shape[3])
            assert np.abs(w).max() <= bound + 1e-7, name
            if layer.bias is not None:
                assert np.abs(layer.bias.numpy()).max() <= bound + 1e-7, name
        elif isinstance(layer, paddle.nn.BatchNorm2D):
            assert (layer.weight.numpy() == 1).all() and not layer.bias.numpy().any()
            assert layer._momentum == pytest.approx(0.9) and layer._epsilon == pytest.approx(1e-5)
    z = np.concatenate(gconv_weights)  # standardised: ~N(0, 1)
    assert abs(z.std() - 1) < 0.05 and abs(z.mean()) < 0.05


def test_skfusion_matches_formula():
    paddle.seed(0)
    sk = SKFusion(8)  # d = max(8 / 8, 4) = 4
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((2, 8, 5, 6)).astype("float32") for _ in range(2))
    w1 = sk.mlp[1].weight.numpy()[:, :, 0, 0]
    w2 = sk.mlp[3].weight.numpy()[:, :, 0, 0]
    hidden = np.maximum(np.einsum("dc,nc->nd", w1, (a + b).mean(axis=(2, 3))), 0)
    logits = np.einsum("od,nd->no", w2, hidden).reshape(2, 2, 8)  # (n, branch, channel)
    weights = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = a * weights[:, 0, :, None, None] + b * weights[:, 1, :, None, None]
    out = sk([paddle.to_tensor(a), paddle.to_tensor(b)]).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_gconv_and_block():
    assert gConv is ConvLayer
    paddle.seed(1)
    layer = ConvLayer(net_depth=4, dim=6, kernel_size=3)
    x = paddle.randn([1, 6, 7, 9])
    expected = layer.proj(layer.Wv(x) * F.sigmoid(layer.Wg[0](x)))
    np.testing.assert_allclose(layer(x).numpy(), expected.numpy(), rtol=1e-6, atol=1e-6)
    block = BasicBlock(net_depth=4, dim=6, kernel_size=3)
    block.eval()  # fresh BatchNorm statistics: normalisation ~ identity
    np.testing.assert_allclose(block(x).numpy(), (x + block.conv(block.norm(x))).numpy(), rtol=1e-6)


@pytest.mark.parametrize("shape", [(1, 3, 37, 53), (2, 3, 16, 16), (1, 3, 5, 70)])
def test_any_input_size_keeps_shape(shape):
    net = tiny_gunet()
    out = net(paddle.rand(list(shape)))
    assert list(out.shape) == list(shape)
    assert np.isfinite(out.numpy()).all()


def test_odd_size_equals_crop_of_reflect_padded_input():
    """Inside, the input is reflect-padded bottom/right to a multiple of 2^levels (the reference's
    pad_img) and the output cropped back."""
    net = tiny_gunet()
    x = paddle.rand([1, 3, 21, 30])
    padded = F.pad(x, [0, 2, 0, 3], mode="reflect")  # to 24 x 32
    np.testing.assert_allclose(net(x).numpy(), net(padded).numpy()[:, :, :21, :30], rtol=1e-5, atol=1e-5)


@pytest.mark.filterwarnings("ignore:When training, we now always track global mean and variance")
def test_training_mode_uses_batch_statistics():
    net = tiny_gunet()
    net.train()
    x = paddle.rand([2, 3, 16, 16])
    out = net(x)
    out.mean().backward()
    assert net.inconv.proj.weight.grad is not None
    mean = net.layers[0].blocks[0].norm._mean.numpy()
    assert np.abs(mean).max() > 0  # running statistics moved


def _export_and_compare(net, tmp_path):
    from paddle.static import InputSpec

    prefix = str(tmp_path / "model")
    paddle.jit.save(net, prefix, input_spec=[InputSpec([None, 3, None, None], "float32", "x")])
    loaded = paddle.jit.load(prefix)
    for shape in ([1, 3, 37, 53], [2, 3, 32, 40]):
        x = paddle.rand(shape)
        out = loaded(x)
        assert list(out.shape) == shape
        np.testing.assert_allclose(out.numpy(), net(x).numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_jit_save_matches_dygraph(tmp_path):
    _export_and_compare(tiny_gunet(), tmp_path)


@pytest.mark.parametrize(
    "bad_shape, message",
    [
        ((1, 1, 32, 32), "3 \\(RGB\\) channels"),
        ((3, 32, 32), "N x 3 x H x W"),
        ((1, 1, 3, 32, 32), "N x 3 x H x W"),
        ((1, 3, 16, 40), "at least 17 pixels"),
    ],
)
def test_bad_input_gives_clear_error(bad_shape, message):
    paddle.seed(0)
    net = gUNet(kernel_size=5, base_dim=4, depths=[1] * 7)
    net.eval()
    with pytest.raises(ValueError, match=message):
        net(paddle.rand(list(bad_shape)))


def test_min_size_is_the_smallest_size_that_works():
    paddle.seed(0)
    net = gUNet(kernel_size=5, base_dim=4, depths=[1] * 7)
    net.eval()
    assert net.min_size == 17
    assert list(net(paddle.rand([1, 3, 17, 17])).shape) == [1, 3, 17, 17]


def test_bad_construction_and_config():
    with pytest.raises(ValueError, match="odd length"):
        gUNet(depths=[2, 2, 2, 2])
    with pytest.raises(ValueError, match="kernel_size"):
        gUNet(kernel_size=4, depths=[1, 1, 1])
    with pytest.raises(ValueError, match="unknown gUNet config"):
        gunet_from_config("gunet-x")
    with pytest.raises(ConfigError, match="depth"):
        gunet_from_config({"base_dim": 8, "depth": [1, 1, 1]})
    with pytest.raises(ConfigError, match="inject_levels"):
        gunet_from_config({"base_dim": 8, "depths": [1, 1, 1], "inject_levels": 2})  # gUNet has none
    with pytest.raises(ValueError, match="unknown arch"):
        gunet_from_config({"arch": "unet", "depths": [1, 1, 1]})
    with pytest.raises(TypeError):
        gunet_from_config(3)
    with paddle.LazyGuard():
        assert isinstance(gunet_from_config("gunet-t", base_dim=8), gUNet)
        assert isinstance(gunet_from_config({"arch": "retouch", "base_dim": 4, "depths": [1] * 9}), RetouchGUNet)


# ---------------------------------------------------------------------------------------------
# RetouchGUNet: J = K * I + D + I
# ---------------------------------------------------------------------------------------------
def _synthetic(shape=(2, 3, 24, 20), seed=0):
    rng = np.random.default_rng(seed)
    clean = rng.uniform(0, 1, shape).astype("float32")
    K = rng.uniform(-0.6, 0.6, shape).astype("float32")
    D = (rng.uniform(-0.5, 0.5, shape) * (rng.uniform(size=shape) < 0.2)).astype("float32")
    J = K * clean + D + clean
    return J, K, D, clean


def test_recovery_is_exact_away_from_the_guard():
    import inspect

    assert inspect.signature(recover_clean).parameters["eps"].default == K_EPS
    J, K, D, clean = _synthetic()
    assert K.min() > -1 + K_EPS
    out = recover_clean(paddle.to_tensor(J), paddle.to_tensor(K), paddle.to_tensor(D)).numpy()
    np.testing.assert_allclose(out, clean, rtol=0, atol=1e-5)


def test_recovery_guard_keeps_output_finite_and_bounded():
    J = paddle.to_tensor(np.array([0.5, 0.5, 1.0, 0.0, 0.3], "float32"))
    K = paddle.to_tensor(np.array([-1.0, -1.0 + 1e-7, -5.0, -1.0, -1.0 + K_EPS], "float32"))
    D = paddle.to_tensor(np.array([0.0, 0.1, -0.2, 0.0, 0.0], "float32"))
    out = recover_clean(J, K, D).numpy()
    assert np.isfinite(out).all()
    assert (np.abs(out) <= (np.abs(J.numpy()) + np.abs(D.numpy())) / K_EPS + 1e-6).all()
    np.testing.assert_allclose(out, (J.numpy() - D.numpy()) / K_EPS, rtol=1e-5)  # divisor clamped to eps
    # The gradient is finite too.
    K.stop_gradient = False
    recover_clean(J, K, D).sum().backward()
    assert np.isfinite(K.grad.numpy()).all()
    with pytest.raises(ValueError, match="eps"):
        recover_clean(J, K, D, eps=0.0)


def test_fresh_retouch_net_is_the_identity():
    paddle.seed(0)
    net = RetouchGUNet(kernel_size=3, base_dim=4, depths=[1] * 7)
    net.eval()
    x = paddle.rand([1, 3, 30, 26])
    K, D, clean = net.decompose(x)
    assert not K.numpy().any() and not D.numpy().any()
    np.testing.assert_array_equal(net(x).numpy(), x.numpy())


def test_head_channels_are_K_then_D():
    """Head = zero weights with biases k, d: constant maps, so I = (J - d) / (1 + k) exactly."""
    net = tiny_retouch()
    head = net.outconv.proj[0]
    k = np.array([0.2, -0.3, 0.5], "float32")
    d = np.array([0.05, -0.1, 0.0], "float32")
    head.weight.set_value(paddle.zeros(head.weight.shape))
    head.bias.set_value(paddle.to_tensor(np.concatenate([k, d])))
    x = paddle.rand([1, 3, 19, 23])
    K, D, clean = net.decompose(x)
    np.testing.assert_allclose(K.numpy(), np.broadcast_to(k[None, :, None, None], K.shape), atol=1e-7)
    np.testing.assert_allclose(D.numpy(), np.broadcast_to(d[None, :, None, None], D.shape), atol=1e-7)
    expected = (x.numpy() - d[None, :, None, None]) / (1 + k[None, :, None, None])
    np.testing.assert_allclose(clean.numpy(), expected, rtol=1e-5, atol=1e-5)
    # A K below the guard: finite output.
    head.bias.set_value(paddle.to_tensor(np.array([-3, -1, -0.95, 0, 0, 0], "float32")))
    assert np.isfinite(net(x).numpy()).all()


def test_retouch_has_one_more_level_and_three_injections():
    with paddle.LazyGuard():
        base = gunet_from_config("gunet-t")
        net = gunet_from_config("retouch")
    assert base.half_num == 3 and net.half_num == 4 and net.patch_size == 16
    assert len(net.injects) == 2 and len(net.inject_fusions) == 2  # full scale = inconv, 1/2, 1/4
    assert [p.embed_dim for p in net.injects] == [net.embed_dims[1], net.embed_dims[2]]
    assert list(net.outconv.proj[0].weight.shape) == [6, net.embed_dims[-1], 3, 3]


def test_injected_images_reach_the_output():
    net = tiny_retouch()
    x = paddle.rand([1, 3, 24, 24])
    before = net(x).numpy()
    for inject in net.injects:
        conv = inject.proj
        saved = conv.weight.numpy()
        conv.weight.set_value(paddle.to_tensor(saved * 0 + 0.5))
        assert np.abs(net(x).numpy() - before).max() > 1e-6
        conv.weight.set_value(paddle.to_tensor(saved))


def test_retouch_default_fits_the_size_limit_and_demo_is_small():
    with paddle.LazyGuard():
        default = gunet_from_config("retouch")
        demo = gunet_from_config("retouch-demo")
    n_all = count_parameters(default)  # with the BatchNorm statistics: what an export stores
    assert n_all * 4 < 10e6
    assert count_parameters(demo) * 4 < 1.5e6
    assert default.min_size == 33


@pytest.mark.parametrize("shape", [(1, 3, 37, 53), (2, 3, 33, 33)])
def test_retouch_any_input_size_keeps_shape(shape):
    net = tiny_retouch()
    out = net(paddle.rand(list(shape)))
    assert list(out.shape) == list(shape)
    assert np.isfinite(out.numpy()).all()


@pytest.mark.slow
def test_retouch_jit_save_matches_dygraph(tmp_path):
    _export_and_compare(tiny_retouch(), tmp_path)


@pytest.mark.slow
def test_k_pool_makes_K_the_bilinear_upsampling_of_its_cell_means(tmp_path):
    """k_pool = 4: K of a random head = the 4 x 4 cell means of the raw head output, bilinearly
    upsampled (checked against OpenCV's resize, an independent bilinear with the same half-pixel
    centres); the recovery uses that smooth K; D is untouched."""
    import cv2

    paddle.seed(1)
    net = RetouchGUNet(kernel_size=3, base_dim=4, depths=[1] * 5, k_pool=4)
    raw = RetouchGUNet(kernel_size=3, base_dim=4, depths=[1] * 5)
    head = net.outconv.proj[0]
    head.weight.set_value(paddle.randn(head.weight.shape) * 0.1)
    raw.set_state_dict(net.state_dict())
    net.eval(), raw.eval()
    x = paddle.rand([1, 3, 32, 24])
    K, D, clean = net.decompose(x)
    K_raw, D_raw, _ = raw.decompose(x)
    np.testing.assert_array_equal(D.numpy(), D_raw.numpy())
    for c in range(3):
        cells = K_raw.numpy()[0, c].reshape(8, 4, 6, 4).mean(axis=(1, 3))
        expected = cv2.resize(cells, (24, 32), interpolation=cv2.INTER_LINEAR)
        np.testing.assert_allclose(K.numpy()[0, c], expected, atol=1e-5)
    expected = (x.numpy() - D.numpy()) / (1 + np.maximum(K.numpy(), -0.9))
    np.testing.assert_allclose(clean.numpy(), expected, rtol=1e-5, atol=1e-5)
    _export_and_compare(net, tmp_path)


def test_retouch_bad_construction():
    for k_pool in (0, 3, 32):  # not a power of 2 / larger than the padding multiple 16
        with pytest.raises(ValueError, match="k_pool"):
            RetouchGUNet(kernel_size=3, base_dim=4, depths=[1] * 9, k_pool=k_pool)
    with pytest.raises(ValueError, match="inject_levels"):
        RetouchGUNet(kernel_size=3, base_dim=4, depths=[1] * 5, inject_levels=4)
    with pytest.raises(ValueError, match="k_eps"):
        RetouchGUNet(kernel_size=3, base_dim=4, depths=[1] * 5, k_eps=0)
    net = tiny_retouch()
    with pytest.raises(ValueError, match="3 \\(RGB\\) channels"):
        net(paddle.rand([1, 6, 32, 32]))


def test_patch_embed_padding():
    paddle.seed(0)
    assert PatchEmbed(patch_size=1, in_chans=3, embed_dim=4, kernel_size=3).proj._padding_mode == "reflect"
    down = PatchEmbed(patch_size=2, in_chans=4, embed_dim=8)
    assert list(down(paddle.rand([1, 4, 10, 12])).shape) == [1, 8, 5, 6]
