"""DeepFillv2 (lib.models.deepfillv2; its losses in lib.losses): the reference's parameter counts,
the gated convolution against a NumPy computation, spectral norm, shapes and size errors, the mask
convention, one GAN training step, configs, and paddle.jit export."""

import copy

import numpy as np
import paddle
import pytest
from stand_in_features import StandInFeatures

from lib.config import ConfigError
from lib.losses import DEEPFILL_LOSS_WEIGHTS, composite, generator_loss, hinge_d_loss, hinge_g_loss, wgan_d_loss
from lib.models.deepfillv2 import (
    DEEPFILL_CONFIGS,
    DEEPFILL_D_PARAM_COUNTS,
    DEEPFILL_PARAM_COUNTS,
    GatedConv2d,
    GatedGenerator,
    PatchDiscriminator,
    TransposeGatedConv2d,
    count_parameters,
    deepfill_from_config,
    discriminator_from_config,
    remove_spectral_norm,
)
from lib.models.deepfillv2_keys import reference_key


def generator_formula(L, c_in=4, c_out=3):
    """Trainable parameters of the reference GatedGenerator, read off its definition: two identical
    nets of 16 gated convs, each gated conv = 2 convs (features, gate) of c_in*c_out*k*k + c_out."""
    layers = (
        [(c_in, L, 7), (L, 2 * L, 4), (2 * L, 4 * L, 3), (4 * L, 4 * L, 4)]
        + [(4 * L, 4 * L, 3)] * 8
        + [(4 * L, 2 * L, 3), (2 * L, 2 * L, 3), (2 * L, L, 3), (L, c_out, 7)]
    )
    return 2 * 2 * sum(ci * co * k * k + co for ci, co, k in layers)


def discriminator_formula(L, c_in=4):
    """Trainable parameters of the reference PatchDiscriminator: six convs (7x7, then five 4x4
    stride 2), weights + biases; its instance norms have no affine parameters (PyTorch default),
    spectral norm's u and v are not trained. At L = 64:
    4*64*49+64 + 64*128*16+128 + 128*256*16+256 + 2*(256*256*16+256) + 256*16+1
    = 12,608 + 131,200 + 524,544 + 2*1,048,832 + 4,097 = 2,770,113."""
    layers = [(c_in, L, 7), (L, 2 * L, 4), (2 * L, 4 * L, 4), (4 * L, 4 * L, 4), (4 * L, 4 * L, 4), (4 * L, 1, 4)]
    return sum(ci * co * k * k + co for ci, co, k in layers)


def spectral_buffers(model):
    return sum(int(np.prod(b.shape)) for n, b in model.named_buffers() if n.endswith(("weight_u", "weight_v")))


def masked_pair(n=1, size=64, seed=0):
    rng = np.random.default_rng(seed)
    img = paddle.to_tensor(rng.random((n, 3, size, size), dtype=np.float32))
    mask = np.zeros((n, 1, size, size), np.float32)
    mask[:, :, size // 4 : size // 2, size // 3 : size - size // 4] = 1.0
    return img, paddle.to_tensor(mask)


# --------------------------------------------------------------------------- parameter counts
def test_reference_generator_has_26937100_trainable_parameters():
    # Measured with the reference PyTorch code (zhaoyuzhi/deepfillv2). Spectral norm cannot run under
    # paddle.LazyGuard (it normalises the weight when applied), so this builds the 27M weights (~2 s).
    assert generator_formula(64) == 26_937_100 == DEEPFILL_PARAM_COUNTS["reference"]
    gen = deepfill_from_config("reference")
    assert count_parameters(gen, trainable_only=True) == 26_937_100
    assert count_parameters(gen) == 26_937_100  # u, v are buffers, not parameters
    # The upsampling gated convs carry spectral norm in the reference (TransposeGatedConv2d's sn
    # defaults to True): u, v of 2 nets x 2 layers x 2 convs = 2 * 2 * ((128 + 256*9) + (64 + 128*9)).
    assert spectral_buffers(gen) == 2 * 2 * ((128 + 256 * 9) + (64 + 128 * 9)) == 14_592


def test_reference_discriminator_parameter_count():
    assert discriminator_formula(64) == 2_770_113 == DEEPFILL_D_PARAM_COUNTS["reference"]
    disc = discriminator_from_config("reference")
    assert count_parameters(disc, trainable_only=True) == count_parameters(disc) == 2_770_113
    assert spectral_buffers(disc) == 16_517  # u, v of all six convs


@pytest.mark.parametrize("name", ["demo", "tiny"])
def test_small_config_parameter_counts(name):
    L = DEEPFILL_CONFIGS[name]["latent_channels"]
    assert DEEPFILL_PARAM_COUNTS[name] == generator_formula(L)
    assert DEEPFILL_D_PARAM_COUNTS[name] == discriminator_formula(L)
    assert count_parameters(deepfill_from_config(name)) == DEEPFILL_PARAM_COUNTS[name]
    assert count_parameters(discriminator_from_config(name)) == DEEPFILL_D_PARAM_COUNTS[name]


def test_parameter_names_map_to_the_reference():
    gen = deepfill_from_config("tiny")
    names = {n for n, _ in gen.named_parameters()}
    assert {
        "coarse.0.conv2d.weight",
        "coarse.0.mask_conv2d.bias",
        "refinement.15.conv2d.weight",
        "coarse.12.gated_conv2d.conv2d.weight_orig",
        "coarse.14.gated_conv2d.mask_conv2d.weight_orig",
    } <= names
    assert len([n for n in names if n.startswith("coarse.")]) == 16 * 4  # 16 gated convs x 2 convs x (w, b)
    assert (
        reference_key("coarse.12.gated_conv2d.conv2d.weight_orig") == "coarse.12.gated_conv2d.conv2d.module.weight_bar"
    )
    assert reference_key("block3.conv2d.weight_u") == "block3.conv2d.module.weight_u"
    assert reference_key("coarse.0.conv2d.weight") == "coarse.0.conv2d.weight"
    shapes = {n: list(p.shape) for n, p in gen.named_parameters()}
    assert shapes["coarse.0.conv2d.weight"] == [4, 4, 7, 7]
    assert shapes["coarse.6.conv2d.weight"] == [16, 16, 3, 3] and gen.coarse[6].conv2d._dilation == [2, 2]
    assert gen.coarse[9].conv2d._dilation == [16, 16]


# --------------------------------------------------------------------------- gated convolution
def numpy_conv(x, w, b, stride=1, dilation=1):
    """Direct NCHW cross-correlation of an already padded input (float64)."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    eh, ew = dilation * (kh - 1) + 1, dilation * (kw - 1) + 1
    oh, ow = (h - eh) // stride + 1, (wd - ew) // stride + 1
    out = np.zeros((n, o, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, :, i * stride : i * stride + eh : dilation, j * stride : j * stride + ew : dilation]
            out[:, :, i, j] = np.einsum("nckl,ockl->no", patch, w)
    return out + b[None, :, None, None]


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize(
    "pad_type,activation,stride,dilation",
    [("zero", "none", 1, 1), ("reflect", "lrelu", 2, 1), ("replicate", "tanh", 1, 2)],
)
def test_gated_conv_equals_manual_computation(pad_type, activation, stride, dilation, fused):
    paddle.seed(1)
    layer = GatedConv2d(
        3, 5, 3, stride, dilation, dilation, pad_type=pad_type, activation=activation, norm="none", fused=fused
    )
    x = np.random.default_rng(2).standard_normal((2, 3, 7, 9)).astype(np.float32)
    mode = {"zero": "constant", "reflect": "reflect", "replicate": "edge"}[pad_type]
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (dilation,) * 2, (dilation,) * 2), mode=mode)
    feat = numpy_conv(xp, layer.conv2d.weight.numpy().astype(np.float64), layer.conv2d.bias.numpy(), stride, dilation)
    gate = numpy_conv(
        xp, layer.mask_conv2d.weight.numpy().astype(np.float64), layer.mask_conv2d.bias.numpy(), stride, dilation
    )
    y = feat / (1.0 + np.exp(-gate))  # conv(x) * sigmoid(gate(x)), then the activation (reference order)
    y = {"none": y, "lrelu": np.where(y > 0, y, 0.2 * y), "tanh": np.tanh(y)}[activation]
    out = layer(paddle.to_tensor(x)).numpy()
    assert out.shape == y.shape
    np.testing.assert_allclose(out, y, atol=1e-6, rtol=0)


def test_transpose_gated_conv_is_nearest_upsampling_then_gated_conv():
    paddle.seed(3)
    layer = TransposeGatedConv2d(4, 2, 3, 1, 1, sn=False, norm="none")
    x = paddle.randn([1, 4, 5, 6])
    up = paddle.to_tensor(np.repeat(np.repeat(x.numpy(), 2, axis=2), 2, axis=3))
    out = layer(x)
    assert list(out.shape) == [1, 2, 10, 12]
    np.testing.assert_allclose(out.numpy(), layer.gated_conv2d(up).numpy(), atol=1e-6)


def test_spectral_norm_converges_to_unit_largest_singular_value():
    paddle.seed(4)
    layer = GatedConv2d(6, 8, 3, 1, 1, sn=True, norm="none")
    layer.train()
    x = paddle.randn([1, 6, 8, 8])
    for _ in range(100):  # one power iteration per training forward, u and v kept between calls
        layer(x)
    for conv in (layer.conv2d, layer.mask_conv2d):
        w = conv.weight.numpy().reshape(8, -1)
        assert abs(np.linalg.svd(w, compute_uv=False)[0] - 1.0) < 2e-3
        assert conv.weight_orig.stop_gradient is False and conv.weight_u.stop_gradient


def test_fused_and_separate_gated_convs_agree_in_training_with_spectral_norm():
    # In float64: in float32 one fused convolution and two separate ones round differently (their
    # sums run in different orders, by the CPU's vector width), and bias gradients, sums of many
    # cancelling terms, then differed by 1e-6 on 4e-6 (seen in CI); a wiring error differs by O(1).
    paddle.seed(5)
    previous = paddle.get_default_dtype()
    paddle.set_default_dtype("float64")
    try:
        _check_fused_and_separate_agree()
    finally:
        paddle.set_default_dtype(previous)


def _check_fused_and_separate_agree():
    fused = deepfill_from_config({"latent_channels": 2})
    separate = copy.deepcopy(fused)
    for layer in separate.sublayers():
        if isinstance(layer, GatedConv2d):
            layer.fused = False
    fused.train()
    separate.train()
    img, mask = (t.astype("float64") for t in masked_pair(n=2, size=32))
    for _ in range(2):  # the second pass uses the power-iterated u, v of the first
        a, b = fused(img, mask), separate(img, mask)
        for x, y in zip(a, b):
            np.testing.assert_allclose(x.numpy(), y.numpy(), atol=1e-6)
    u = "coarse.12.gated_conv2d.mask_conv2d.weight_u"
    np.testing.assert_allclose(fused.state_dict()[u].numpy(), separate.state_dict()[u].numpy(), atol=1e-6)
    (a[1].mean() + a[0].mean()).backward()
    (b[1].mean() + b[0].mean()).backward()
    for (name, p), q in zip(fused.named_parameters(), separate.parameters()):
        assert p.grad.dtype == paddle.float64, name
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-7, atol=1e-12, err_msg=name)


# --------------------------------------------------------------------------- generator shapes and mask
def test_tiny_generator_256_in_256_out():
    paddle.seed(0)
    gen = deepfill_from_config("tiny")
    gen.eval()
    img, mask = masked_pair(size=256)
    with paddle.no_grad():
        coarse, refined = gen(img, mask)
    assert list(coarse.shape) == list(refined.shape) == [1, 3, 256, 256]
    assert float(refined.abs().max()) <= 1.0  # tanh


def test_generator_ignores_the_image_inside_the_hole():
    paddle.seed(0)
    gen = deepfill_from_config("tiny")
    gen.eval()
    img, mask = masked_pair(size=64)
    other = img * (1 - mask) + paddle.rand(img.shape) * mask  # different pixels only in the hole
    with paddle.no_grad():
        a, b = gen(img, mask), gen(other, mask)
    np.testing.assert_allclose(a[1].numpy(), b[1].numpy(), atol=1e-6)
    np.testing.assert_allclose(a[0].numpy(), b[0].numpy(), atol=1e-6)


def test_generator_rejects_bad_inputs():
    gen = deepfill_from_config("tiny")
    img, mask = masked_pair(size=64)
    with pytest.raises(ValueError, match="multiple of 4"):
        gen(img[:, :, :62], mask[:, :, :62])
    with pytest.raises(ValueError, match="3-channel"):
        gen(paddle.concat([img, mask], axis=1), mask)
    with pytest.raises(ValueError, match="1-channel mask"):
        gen(img, paddle.concat([mask, mask], axis=1))
    with pytest.raises(ValueError, match="sizes differ"):
        gen(img, mask[:, :, :60])
    with pytest.raises(ValueError, match="N x 3 x H x W"):
        gen(img[0], mask)
    with pytest.raises(ValueError, match="reflect"):
        deepfill_from_config("tiny", pad_type="reflect")(img, mask)  # 64 / 4 = 16: too small for dilation 16
    with pytest.raises(ValueError, match="in_channels"):
        GatedGenerator(in_channels=3, out_channels=3)
    with pytest.raises(ValueError, match="normalisation"):
        GatedGenerator(latent_channels=4, norm="group")
    with pytest.raises(ValueError, match="H, W >= 32"):
        discriminator_from_config("tiny")(img[:, :, :16, :16], mask[:, :, :16, :16])


def test_discriminator_patch_output():
    disc = discriminator_from_config("tiny")
    img, mask = masked_pair(n=2, size=256)
    assert list(disc(img, mask).shape) == [2, 1, 8, 8]  # 256 / 2**5


# --------------------------------------------------------------------------- losses and training
def test_losses_on_known_values():
    real = paddle.to_tensor([[2.0, 0.5]])
    fake = paddle.to_tensor([[-3.0, 0.25]])
    assert float(hinge_d_loss(real, fake)) == pytest.approx(np.mean([0.0, 0.5]) + np.mean([0.0, 1.25]))
    assert float(hinge_g_loss(fake)) == pytest.approx(1.375)
    assert float(wgan_d_loss(real, fake)) == pytest.approx(-1.375 - 1.25)
    assert DEEPFILL_LOSS_WEIGHTS == {"l1": 100.0, "perceptual": 10.0, "gan": 1.0}
    img, mask = masked_pair(size=32)
    out = paddle.zeros_like(img)
    terms = generator_loss(img, mask, out, out, fake, l1=100, gan=1)
    expected = 100 * 2 * float((img * mask).abs().mean()) + 1.375  # the composite differs only in the hole
    assert float(terms["total"]) == pytest.approx(expected, rel=1e-5)
    np.testing.assert_allclose(composite(img, out, mask).numpy(), (img * (1 - mask)).numpy())


def test_one_gan_training_step_gives_finite_losses():
    paddle.seed(0)
    gen, disc = deepfill_from_config("tiny"), discriminator_from_config("tiny")
    gen.train()
    disc.train()
    # the reference's optimisers: Adam, lr_g 1e-4, lr_d 4e-4, betas (0.5, 0.999)
    opt_g = paddle.optimizer.Adam(1e-4, beta1=0.5, beta2=0.999, parameters=gen.parameters())
    opt_d = paddle.optimizer.Adam(4e-4, beta1=0.5, beta2=0.999, parameters=disc.parameters())
    img, mask = masked_pair(n=2, size=64)
    g_before = gen.coarse[0].conv2d.weight.numpy().copy()
    d_before = disc.block2.conv2d.weight_orig.numpy().copy()
    u_before = disc.block2.conv2d.weight_u.numpy().copy()

    coarse, refined = gen(img, mask)
    fake = composite(img, refined, mask)
    d_loss = hinge_d_loss(disc(img, mask), disc(fake.detach(), mask))
    d_loss.backward()
    opt_d.step()
    opt_d.clear_grad()

    terms = generator_loss(img, mask, coarse, refined, disc(fake, mask))
    terms["total"].backward()
    opt_g.step()
    opt_g.clear_grad()
    opt_d.clear_grad()  # the generator's backward also reached D's weights

    for value in [d_loss, *terms.values()]:
        assert np.isfinite(float(value))
    assert not np.allclose(g_before, gen.coarse[0].conv2d.weight.numpy())
    assert not np.allclose(d_before, disc.block2.conv2d.weight_orig.numpy())
    assert not np.allclose(u_before, disc.block2.conv2d.weight_u.numpy())  # power iteration ran


# --------------------------------------------------------------------------- configs and export
def test_from_config_checks_keys_and_names():
    with pytest.raises(ConfigError, match="latent_chanels"):
        deepfill_from_config({"latent_chanels": 8})
    with pytest.raises(ConfigError, match="bogus"):
        discriminator_from_config("tiny", bogus=1)
    with pytest.raises(ValueError, match="unknown DeepFillv2 config"):
        deepfill_from_config("huge")
    with pytest.raises(TypeError):
        deepfill_from_config(64)
    gen = deepfill_from_config({"latent_channels": 2, "norm": "none", "up_sn": False})
    assert count_parameters(gen) == generator_formula(2) and spectral_buffers(gen) == 0
    assert DEEPFILL_CONFIGS["reference"] == dict(
        in_channels=4,
        out_channels=3,
        latent_channels=64,
        pad_type="zero",
        activation="lrelu",
        norm="in",
        init_type="xavier",
        init_gain=0.02,
    )
    assert isinstance(discriminator_from_config({"latent_channels": 2}), PatchDiscriminator)


@pytest.mark.slow
def test_jit_save_matches_dygraph(tmp_path):
    """Export a copy with spectral norm folded (remove_spectral_norm): Paddle's dy2static does not
    trace the spectral-norm hook, so an unfolded export would carry a stale weight."""
    paddle.seed(0)
    gen = deepfill_from_config("tiny")
    gen.eval()
    export = remove_spectral_norm(copy.deepcopy(gen))
    assert sum(len(layer._forward_pre_hooks) for layer in gen.sublayers()) == 8  # original untouched
    assert sum(len(layer._forward_pre_hooks) for layer in export.sublayers()) == 0
    assert count_parameters(export) == count_parameters(gen) and spectral_buffers(export) == 0
    spec = [
        paddle.static.InputSpec([None, 3, None, None], "float32", "img"),
        paddle.static.InputSpec([None, 1, None, None], "float32", "mask"),
    ]
    paddle.jit.save(export, str(tmp_path / "deepfill"), input_spec=spec)
    loaded = paddle.jit.load(str(tmp_path / "deepfill"))
    for n, size in ((1, 64), (2, 32)):
        img, mask = masked_pair(n=n, size=size, seed=n)
        with paddle.no_grad():
            expected = gen(img, mask)
        got = loaded(img, mask)
        for e, g in zip(expected, got):
            assert list(e.shape) == list(g.shape)
            np.testing.assert_allclose(g.numpy(), e.numpy(), atol=1e-5)


# ------------------------------------------------------------- the base repository's WGAN + perceptual terms
def test_discriminator_losses_follow_their_formulas():
    """WGAN (the base repository's WGAN_trainer): D = -mean(D(real)) + mean(D(fake)); hinge (the
    paper): mean(relu(1 - D(real))) + mean(relu(1 + D(fake))); G = -mean(D(fake)) for both."""
    from lib.losses import discriminator_loss

    rng = np.random.default_rng(0)
    real, fake = rng.normal(0, 2, (3, 1, 8, 8)).astype(np.float32), rng.normal(0, 2, (3, 1, 8, 8)).astype(np.float32)
    t = paddle.to_tensor
    assert float(discriminator_loss("wgan", t(real), t(fake))) == pytest.approx(-real.mean() + fake.mean(), rel=1e-5)
    assert float(discriminator_loss("hinge", t(real), t(fake))) == pytest.approx(
        np.maximum(1 - real, 0).mean() + np.maximum(1 + fake, 0).mean(), rel=1e-5
    )
    assert float(hinge_g_loss(t(fake))) == pytest.approx(-fake.mean(), rel=1e-5)
    with pytest.raises(ValueError, match="unknown GAN loss 'lsgan'"):
        discriminator_loss("lsgan", t(real), t(fake))


def test_perceptual_term_is_the_l1_of_the_features():
    from lib.losses import perceptual_l1

    rng = np.random.default_rng(1)
    pred, target = rng.random((2, 3, 8, 8), dtype=np.float32), rng.random((2, 3, 8, 8), dtype=np.float32)
    features = StandInFeatures()
    x = paddle.to_tensor(pred, stop_gradient=False)
    loss = perceptual_l1(features, x, paddle.to_tensor(target))
    expected = np.abs(StandInFeatures.numpy(pred) - StandInFeatures.numpy(target)).mean()
    assert float(loss) == pytest.approx(expected, rel=1e-5)
    loss.backward()
    assert float(x.grad.abs().sum()) > 0  # the generator learns through the features

    # in the generator objective: weight x the term on the refined composite against the image
    img, mask = masked_pair(n=2, size=8)
    coarse, refined = paddle.full_like(img, 0.2), paddle.full_like(img, 0.7)
    fake = paddle.to_tensor([[0.5, -1.5]])
    terms = generator_loss(
        img,
        mask,
        coarse,
        refined,
        fake,
        l1=1000,
        gan=1,
        perceptual=10,
        perceptual_fn=lambda p, t: perceptual_l1(features, p, t),
    )
    im, m = img.numpy(), mask.numpy()
    comp_c, comp_r = im * (1 - m) + 0.2 * m, im * (1 - m) + 0.7 * m
    p = np.abs(StandInFeatures.numpy(comp_r) - StandInFeatures.numpy(im)).mean()
    total = 1000 * (np.abs(comp_c - im).mean() + np.abs(comp_r - im).mean()) + 10 * p + 0.5
    assert float(terms["perceptual"]) == pytest.approx(p, rel=1e-5)
    assert float(terms["total"]) == pytest.approx(total, rel=1e-5)


@pytest.mark.slow
def test_vgg_features_are_the_reference_perceptualnet():
    """VGG-16 up to conv4_3 (its output before ReLU), no ReLU after conv3_3, three max pools; the
    convs are the given VGG's own (its ImageNet weights when pretrained)."""
    from paddle.vision.models import vgg16

    from lib.losses import VGG16Features

    paddle.seed(0)
    vgg = vgg16(pretrained=False)
    net = VGG16Features(vgg)
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds == [
        "Conv2D",
        "ReLU",
        "Conv2D",
        "ReLU",
        "MaxPool2D",
        "Conv2D",
        "ReLU",
        "Conv2D",
        "ReLU",
        "MaxPool2D",
        "Conv2D",
        "ReLU",
        "Conv2D",
        "ReLU",
        "Conv2D",
        "MaxPool2D",
        "Conv2D",
        "ReLU",
        "Conv2D",
        "ReLU",
        "Conv2D",
    ]
    assert net.layers[-1] is vgg.features[21] and net.layers[14] is vgg.features[14]
    assert all(p.stop_gradient for p in net.parameters()) and not net.training
    x = paddle.rand([1, 3, 32, 32])
    assert list(net(x).shape) == [1, 512, 4, 4]
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    normalized = paddle.to_tensor(((x.numpy() - mean[:, None, None]) / std[:, None, None]).astype(np.float32))
    np.testing.assert_allclose(VGG16Features(vgg, normalize=True)(x).numpy(), net(normalized).numpy(), atol=1e-4)


@pytest.mark.slow
def test_vgg16_offline_is_a_clear_error(monkeypatch):
    import paddle.vision.models.vgg as vgg_module
    import requests

    from lib.losses import VGG16_URL, PretrainedWeightsError, vgg16_features

    def no_network(url, md5sum=None):
        raise requests.exceptions.ConnectionError(f"Failed to resolve 'paddle-hapi.bj.bcebos.com' ({url})")

    monkeypatch.setattr(vgg_module, "get_weights_path_from_url", no_network)
    assert VGG16_URL == vgg_module.model_urls["vgg16"][0]
    with pytest.raises(PretrainedWeightsError) as error:
        vgg16_features(option="perceptual_weight: 0")
    assert VGG16_URL in str(error.value) and "perceptual_weight: 0" in str(error.value)
