"""The per-channel ops over an (N, C, H*W) view (lib.models.channel_ops) give plain broadcasting's numbers,
in the layer itself and in every network that uses them, forward and backward."""

import numpy as np
import paddle
import pytest

from lib.models.channel_ops import (
    CHANNEL_OPS_MODES,
    Conv2D,
    add_channel_bias,
    add_channels,
    channel_ops_mode,
    scale_channels,
)


def _rand(*shape, seed=0):
    return paddle.to_tensor(np.random.default_rng(seed).standard_normal(shape).astype("float32"))


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(padding=1),
        dict(padding=2, padding_mode="reflect", dilation=2),
        dict(padding=1, stride=2, groups=3),
        dict(padding=0, bias_attr=False),
    ],
)
def test_conv2d_equals_paddles_layer_outputs_and_gradients(kwargs):
    """Same weights in paddle.nn.Conv2D and the course's Conv2D: the same output and gradients (zero and reflect
    padding, dilation, stride, groups, no bias), on an odd size."""
    paddle.seed(0)
    ref = paddle.nn.Conv2D(6, 9, 3, **kwargs)
    ours = Conv2D(6, 9, 3, **kwargs)
    ours.set_state_dict(ref.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    x = _rand(2, 6, 13, 17)
    outs, grads = [], []
    for layer in (ref, ours):
        inp = x.detach()
        inp.stop_gradient = False
        out = layer(inp)
        (out * out).mean().backward()
        outs.append(out.numpy())
        grads.append([inp.grad.numpy()] + [p.grad.numpy() for p in layer.parameters()])
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-5, atol=1e-6)
    for a, b in zip(grads[1], grads[0]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("mode", CHANNEL_OPS_MODES)
def test_channel_ops_equal_broadcasting_in_every_mode(mode):
    x = _rand(2, 5, 7, 3)
    bias, term, shared, scale5 = (
        _rand(5, seed=1),
        _rand(2, 5, 1, 1, seed=2),
        _rand(1, 5, 1, 1, seed=6),
        _rand(2, 4, 5, 1, 1, seed=3),
    )
    stack = _rand(2, 4, 5, 7, 3, seed=4)
    full = _rand(2, 5, 7, 3, seed=5)  # not per channel: multiplied as is
    with channel_ops_mode(mode):
        np.testing.assert_allclose(
            add_channel_bias(x, bias).numpy(), (x + bias.reshape([1, -1, 1, 1])).numpy(), atol=1e-6
        )
        np.testing.assert_allclose(add_channels(x, term).numpy(), (x + term).numpy(), atol=1e-6)
        for scale in (term, shared, full):
            np.testing.assert_allclose(scale_channels(x, scale).numpy(), (x * scale).numpy(), atol=1e-6)
        np.testing.assert_allclose(scale_channels(stack, scale5).numpy(), (stack * scale5).numpy(), atol=1e-6)
        with pytest.raises(ValueError):  # a per-channel term of the wrong channel count is an error, not a broadcast
            add_channels(x, _rand(2, 4, 1, 1))


def test_an_unknown_mode_is_an_error_naming_the_known_ones():
    with pytest.raises(ValueError, match="broadcast, view, expand"):
        with channel_ops_mode("fused"):
            pass


def _nafnet():
    from lib.models.nafnet import NAFNet

    return NAFNet(img_channel=3, width=4, middle_blk_num=1, enc_blk_nums=[1, 1], dec_blk_nums=[1, 1]), 1


def _retouch_gunet():
    from lib.models.gunet import RetouchGUNet

    return RetouchGUNet(kernel_size=3, base_dim=4, depths=[1] * 7, inject_levels=3), 1


def _mirnet():
    from lib.models.mirnet_v2 import MIRNetV2

    return MIRNetV2(n_feat=16, n_RRG=1, n_MRB=1), 1


def _sdwnet():
    from lib.models.sdwnet import sdwnet_from_config

    return sdwnet_from_config("demo", num_blocks=2, d_mult=4, wavelet_widths=[8, 8]), 1


def _deepfill():
    from lib.models.deepfillv2 import deepfill_from_config

    return deepfill_from_config("demo", latent_channels=4), 2


NETWORKS = {
    "nafnet": _nafnet,
    "retouch_gunet": _retouch_gunet,
    "mirnet_v2": _mirnet,
    "sdwnet": _sdwnet,
    "deepfillv2": _deepfill,
}


@pytest.mark.parametrize("mode", ["view", "expand"])
@pytest.mark.parametrize("name", list(NETWORKS))
def test_networks_give_plain_broadcastings_outputs_and_gradients(name, mode):
    """Each network of the course, in training mode, with its per-channel ops over the (N, C, H*W) view and with
    plain NCHW broadcasting: the same outputs and parameter gradients (the speed-up changes no number)."""
    paddle.seed(0)
    net, n_inputs = NETWORKS[name]()
    net.train()
    state = {k: v.clone() for k, v in net.state_dict().items()}  # BatchNorm statistics and spectral-norm vectors move
    size = (2, 3, 64, 64)
    inputs = [_rand(*size)] + (
        [paddle.to_tensor((np.random.default_rng(1).random((2, 1, 64, 64)) > 0.7).astype("float32"))]
        if n_inputs == 2
        else []
    )
    results = {}
    for plain in (False, True):
        net.set_state_dict(state)
        with channel_ops_mode("broadcast" if plain else mode):
            out = net(*inputs)
            outs = out if isinstance(out, (tuple, list)) else [out]
            sum((o * o).mean() for o in outs).backward()
        results[plain] = (
            [o.numpy() for o in outs],
            {n: p.grad.numpy().copy() for n, p in net.named_parameters() if p.grad is not None},
        )
        net.clear_gradients()
    for fast, plain in zip(results[False][0], results[True][0]):
        np.testing.assert_allclose(fast, plain, rtol=1e-5, atol=1e-5)
    assert results[False][1].keys() == results[True][1].keys() and results[True][1]
    for pname, grad in results[True][1].items():
        scale = max(float(np.abs(grad).max()), 1e-6)
        np.testing.assert_allclose(results[False][1][pname] / scale, grad / scale, rtol=0, atol=1e-4, err_msg=pname)
