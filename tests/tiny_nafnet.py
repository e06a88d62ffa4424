"""The tiny NAFNet of the inference, export and submission tests, and its deployment sizes."""

import paddle

TINY_PATCH = 32  # "training" patch of the tiny model: TLC windows of 2.5 x 32 = 80 px
TINY_TILE_PIXELS = 128 * 128
TINY_OVERLAP = 16


def make_tiny_nafnet(seed: int = 0, width: int = 4):
    """A 4-level NAFNet of width 4 with non-zero beta/gamma, so every block (and every SCA that
    TLC changes) affects the output."""
    from lib.models.nafnet import NAFNet

    paddle.seed(seed)
    net = NAFNet(3, width, 1, [1, 1, 1, 1], [1, 1, 1, 1])
    for name, p in net.named_parameters():
        if name.endswith(".beta") or name.endswith(".gamma"):
            p.set_value(paddle.randn(p.shape) * 0.5)
    net.eval()
    return net
