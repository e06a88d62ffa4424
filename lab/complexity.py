"""Model cost: convolution MACs and measured CPU latency, for any Paddle image model.

``conv_macs`` counts multiply-accumulates of every Conv2D in one forward (forward hooks), i.e.
``output elements x in_channels / groups x kh x kw``. Normalisations, gates, poolings and other
elementwise operations are not counted: in NAFNet they are a few percent of the work. It agrees
with ``paddle.flops`` on convolutions (which also calls MACs "FLOPs"), without its console output.
For a fully convolutional network the count is proportional to the pixel count (for sizes that
need no padding), except convs on globally pooled 1 x 1 maps, so a 2K count can be computed at
64 x 64 and scaled: ``scaled_conv_macs``.

``measure_latency`` times forward passes without gradients: warm-up runs first, then the median
of ``repeats`` runs. It is for notebooks and lab/bench/, never for tests.
"""

from __future__ import annotations

import math
import statistics
import time
from typing import Sequence

import paddle
import paddle.nn as nn


def _conv_macs_split(model: nn.Layer, input_shape: Sequence[int]) -> tuple[int, int]:
    """Conv MACs of one forward, split into (on spatial maps, on 1 x 1 maps such as SCA's)."""
    totals = {"spatial": 0, "pooled": 0}

    def hook(layer, inputs, output):
        kh, kw = layer.weight.shape[2], layer.weight.shape[3]
        in_per_group = inputs[0].shape[1] // layer._groups
        key = "pooled" if output.shape[2] * output.shape[3] == 1 else "spatial"
        totals[key] += math.prod(output.shape) * in_per_group * kh * kw

    handles = [
        m.register_forward_post_hook(hook) for m in model.sublayers(include_self=True) if isinstance(m, nn.Conv2D)
    ]
    was_training = model.training
    model.eval()
    try:
        with paddle.no_grad():
            model(paddle.rand([int(s) for s in input_shape]))
    finally:
        for h in handles:
            h.remove()
        model.train() if was_training else model.eval()
    return totals["spatial"], totals["pooled"]


def conv_macs(model: nn.Layer, input_shape: Sequence[int]) -> int:
    """Multiply-accumulates of all Conv2D layers in one forward of a random ``input_shape`` input."""
    return sum(_conv_macs_split(model, input_shape))


def scaled_conv_macs(
    model: nn.Layer, target_hw: Sequence[int], probe_hw: Sequence[int] = (64, 64), channels: int = 3
) -> float:
    """Conv MACs at ``target_hw``, counted at ``probe_hw``: convs on feature maps scale with the
    pixel ratio, convs on 1 x 1 pooled maps (SCA) do not.

    Exact when both sizes are multiples of the network's padding unit (16 for a 4-level NAFNet)
    and the probe's smallest map is larger than 1 x 1.
    """
    spatial, pooled = _conv_macs_split(model, (1, channels, probe_hw[0], probe_hw[1]))
    return spatial * (target_hw[0] * target_hw[1]) / (probe_hw[0] * probe_hw[1]) + pooled


class ConvMacCounter:
    """Conv MACs of every forward of ``layers`` (one Layer or several) while the context is active,
    counted as :func:`conv_macs` counts them: any inputs, any number of calls, with or without
    gradients (a GAN's training step runs its networks several times)::

        with ConvMacCounter(trainer.networks.values()) as counter:
            trainer_step()
        counter.macs   # forward conv MACs of the step
    """

    def __init__(self, layers):
        self.layers = [layers] if isinstance(layers, nn.Layer) else list(layers)
        self.macs = 0
        self._handles = []

    def _hook(self, layer, inputs, output):
        kh, kw = layer.weight.shape[2], layer.weight.shape[3]
        self.macs += math.prod(output.shape) * (inputs[0].shape[1] // layer._groups) * kh * kw

    def __enter__(self):
        self._handles = [
            m.register_forward_post_hook(self._hook)
            for layer in self.layers
            for m in layer.sublayers(include_self=True)
            if isinstance(m, nn.Conv2D)
        ]
        return self

    def __exit__(self, *exc):
        for handle in self._handles:
            handle.remove()
        self._handles = []
        return False


def measure_latency(model, input_shape: Sequence[int], repeats: int = 5, warmup: int = 1) -> dict:
    """Median wall time (s) of ``repeats`` no-grad forwards after ``warmup`` ones.

    ``model`` may be a Layer or a ``paddle.jit.to_static`` function. Returns
    ``{"median_s", "times_s", "input_shape"}``.
    """
    if repeats < 1 or warmup < 0:
        raise ValueError(f"measure_latency: repeats ({repeats}) must be >= 1 and warmup ({warmup}) >= 0")
    if isinstance(model, nn.Layer):
        model.eval()
    x = paddle.rand([int(s) for s in input_shape])
    times = []
    with paddle.no_grad():
        for i in range(warmup + repeats):
            start = time.perf_counter()
            out = model(x)
            float(out.flatten()[0])  # wait for the result
            if i >= warmup:
                times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times), "times_s": times, "input_shape": [int(s) for s in input_shape]}
