"""Two tiny tracks that exercise the engine the way the real ones will (imported by the tests):

* ``tiny_denoise``: 32x32 noisy/clean pairs, a two-layer residual net, the restoration task with
  a per-phase learning rate and per-phase augmentation;
* ``tiny_gan``: the same data, a generator and a patch discriminator with two optimizers, step
  decay, hinge losses and a discriminator update every ``d_every`` iterations.

They go through the same entry points as the blurred-document track: the registry, Track.trainer,
checkpoints, Track.load_model, lib.export.build_submission and predict.py.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from lib.data.pairs import DataError, read_image
from lib.metrics import psnr
from lib.tracks import Track, register_track
from lib.train.registry import register_model
from lib.train.tasks import Task, mean_metrics

CONFIGS = Path(__file__).parent / "configs"


class TinyConv(nn.Layer):
    """Two 3x3 convolutions with a global residual: any input size, 3 channels."""

    def __init__(self, channels: int = 8):
        super().__init__()
        self.conv1 = nn.Conv2D(3, channels, 3, padding=1)
        # zero-initialised last layer: training starts from the identity (the noisy input)
        self.conv2 = nn.Conv2D(channels, 3, 3, padding=1, weight_attr=nn.initializer.Constant(0.0))

    def forward(self, x):
        return x + self.conv2(F.relu(self.conv1(x)))


class TinyCritic(nn.Layer):
    """A two-layer patch discriminator: one score per 4x4 patch."""

    def __init__(self, channels: int = 8):
        super().__init__()
        self.conv1 = nn.Conv2D(3, channels, 4, stride=2, padding=1)
        self.conv2 = nn.Conv2D(channels, 1, 4, stride=2, padding=1)

    def forward(self, x):
        return self.conv2(F.leaky_relu(self.conv1(x), 0.2))


register_model("tiny_conv", lambda spec: TinyConv(**spec))
register_model("tiny_critic", lambda spec: TinyCritic(**spec))


def _write_png(path: Path, rgb: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
        raise OSError(f"cannot write {path}")


def smooth_image(rng: np.random.Generator, size: int) -> np.ndarray:
    """A smooth random colour field with a few edges: something a two-layer net can denoise."""
    base = rng.uniform(40, 215, (4, 4, 3)).astype(np.float32)
    image = cv2.resize(base, (size, size), interpolation=cv2.INTER_CUBIC)
    y0, x0 = rng.integers(0, size // 2, 2)
    image[y0 : y0 + size // 3, x0 : x0 + size // 3] = rng.uniform(0, 255, 3)
    return np.clip(image, 0, 255).astype(np.uint8)


class TinyDenoiseTrack(Track):
    name = "tiny_denoise"
    title = "Test track: denoise 32x32 images with a two-layer net"
    model_name = "tinyconv"
    task = "restoration_psnr_ssim"
    config_file = CONFIGS / "tiny_denoise.yaml"

    def model_spec(self, cfg):
        return {"name": "tiny_conv", **cfg["model"]}

    def generate_data(self, profile=None, out=None, *, seed=0, force=False, workers=None) -> Path:
        opts = self.config(profile)["data"]
        root = Path(out)
        for split, count, offset in (("train", opts["n_train"], 0), ("val", opts["n_val"], 1000)):
            for i in range(count):
                rng = np.random.default_rng([seed, offset + i])
                clean = smooth_image(rng, opts["size"])
                noisy = np.clip(clean + rng.normal(0, opts["sigma"], clean.shape), 0, 255).astype(np.uint8)
                _write_png(root / split / "input" / f"{i:03d}.png", noisy)
                _write_png(root / split / "gt" / f"{i:03d}.png", clean)
        return root

    def check_data(self, root) -> list[str]:
        lines = []
        for split in ("train", "val"):
            inputs = sorted((Path(root) / split / "input").glob("*.png"))
            missing = [p.name for p in inputs if not (Path(root) / split / "gt" / p.name).is_file()]
            if not inputs or missing:
                raise DataError(f"{Path(root) / split}: {len(inputs)} inputs, no ground truth for {missing}")
            lines.append(f"{split}: {len(inputs)} pairs")
        return lines

    def prepare(self, profile=None, source=None, force=False):
        return Path(source)

    def train_data(self, prepared):
        from lib.train.engine import TrainData

        def pairs(split):
            return [(p, prepared / split / "gt" / p.name) for p in sorted((prepared / split / "input").glob("*.png"))]

        train = pairs("train")
        val = [(b.stem, b, g) for b, g in pairs("val")]
        return TrainData(train=train, all=train + [(b, g) for _, b, g in val], val=val)

    def evaluate(self, model, profile=None, data=None, val=None) -> dict:
        from lib.infer import predict_image

        rows = {"noisy input": [], "model": []}
        for _, inp, gt in val:
            noisy, clean = read_image(inp), read_image(gt)
            rows["noisy input"].append(psnr(noisy, clean))
            rows["model"].append(psnr(predict_image(model, noisy), clean))
        return {"evaluated_on": "val", "methods": [{"method": k, "psnr": float(np.mean(v))} for k, v in rows.items()]}


class TinyGANTask(Task):
    """Hinge GAN + L1: ``d_every`` sets how often the discriminator is updated (1: every
    iteration; 3: 3 generator updates per discriminator update)."""

    name = "tiny_gan"
    networks = ("generator", "discriminator")
    phase_keys = frozenset({"d_every"})
    option_defaults = {"l1_weight": 10.0, "gan_weight": 1.0}
    loss_keys = ("loss", "d_loss")
    metric_keys = ("psnr",)
    best_metric = "psnr"

    @classmethod
    def check_phase(cls, index, phase):
        if int(phase.get("d_every", 1)) < 1:
            raise ValueError(f"phases[{index}].d_every must be >= 1")

    def start_phase(self, phase):
        self.d_every = int(phase.get("d_every", 1))

    def train_step(self, batch, iteration):
        noisy, clean = batch
        gen, disc = self.train_nets["generator"], self.train_nets["discriminator"]
        losses = {}
        if iteration % self.d_every == 0:
            fake = gen(noisy).detach()
            d_loss = F.relu(1 - disc(clean)).mean() + F.relu(1 + disc(fake)).mean()
            self.optimize(d_loss, "discriminator")
            losses["d_loss"] = float(d_loss)
        restored = gen(noisy)
        g_loss = self.settings["gan_weight"] * -disc(restored).mean() + self.settings["l1_weight"] * F.l1_loss(
            restored, clean
        )
        self.optimize(g_loss, "generator")
        losses["loss"] = float(g_loss)
        return losses

    def validate(self, samples):
        from lib.infer import predict_image

        return mean_metrics(
            [
                {"psnr": psnr(predict_image(self.nets["generator"], read_image(inp)), read_image(gt))}
                for _, inp, gt in samples
            ]
        )


class TinyGANTrack(TinyDenoiseTrack):
    name = "tiny_gan"
    title = "Test track: a generator and a discriminator, two optimizers"
    model_name = "tinygan"
    task = TinyGANTask
    config_file = CONFIGS / "tiny_gan.yaml"

    def model_spec(self, cfg):
        return cfg["model"]


DENOISE = register_track(TinyDenoiseTrack())
GAN = register_track(TinyGANTrack())


def weights(networks: dict) -> dict:
    return {f"{name}.{k}": v.numpy().copy() for name, net in networks.items() for k, v in net.state_dict().items()}


def paddle_cpu():
    paddle.set_device("cpu")
