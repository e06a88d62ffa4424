"""A tiny feature extractor with fixed weights standing in for VGG-16 in the perceptual-loss tests
(tests/test_deepfillv2.py, the de-occlusion task's), with the same features computed in NumPy."""

import numpy as np
import paddle


class StandInFeatures(paddle.nn.Layer):
    """A tiny feature extractor with fixed weights for the perceptual term: 1x1 conv 3 -> 2,
    ReLU, 2x2 average pooling (the role of VGG-16, small enough to compute by hand)."""

    W = np.array([[0.5, -1.0, 0.25], [1.0, 0.5, -0.5]], np.float32)
    B = np.array([0.1, -0.2], np.float32)

    def __init__(self):
        super().__init__()
        self.conv = paddle.nn.Conv2D(3, 2, 1)
        self.conv.weight.set_value(paddle.to_tensor(self.W.reshape(2, 3, 1, 1)))
        self.conv.bias.set_value(paddle.to_tensor(self.B))

    def forward(self, x):
        return paddle.nn.functional.avg_pool2d(paddle.nn.functional.relu(self.conv(x)), 2)

    @classmethod
    def numpy(cls, x):
        """The same features in NumPy: per pixel W @ rgb + b, ReLU, mean of each 2x2 block."""
        y = np.maximum(np.einsum("oc,nchw->nohw", cls.W, x) + cls.B[None, :, None, None], 0)
        n, c, h, w = y.shape
        return y.reshape(n, c, h // 2, 2, w // 2, 2).mean(axis=(3, 5))
