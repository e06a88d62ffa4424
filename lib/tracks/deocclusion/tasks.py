"""The de-occlusion track's two training tasks (BasicSR's "model" classes, see lib.train.tasks):
the segmenter's (``segmentation``: [class-weighted] cross-entropy [+ Dice], mIoU / boundary F) and the inpainter's
(``deepfill_gan``: DeepFillv2 generator + SN-PatchGAN discriminator, two optimizers). Registered by
name when the track is imported, so ``task: deepfill_gan`` works wherever the track is loaded."""

from __future__ import annotations

from lib.train.tasks import Task, mean_metrics, register_task


class SegmentationTask(Task):
    """One segmentation network (logits N x C x H x W) trained with pixel-wise cross-entropy on
    (image, label) samples (label: class ids, uint8 PNG), validated by mean IoU and the boundary
    F-score of the predicted foreground (class 1; :func:`.repair.mask_scores`). Task options:
    ``class_weights`` (default null: unweighted) weights the cross-entropy per class
    (:func:`.losses.segmentation_ce`; the solution: [1, 10], the occluder ten times the page);
    ``dice_weight`` (default 0) adds PaddleSeg's Dice loss, the course's answer to the same small
    foreground (an occluder is ~3 % of a page): cross-entropy alone first learns "all page"."""

    name = "segmentation"
    sample_kinds = ("image", "label")
    option_defaults = {"dice_weight": 0.0, "class_weights": None}
    loss_keys = ("loss", "ce", "dice")
    metric_keys = ("miou", "boundary_f")
    best_metric = "miou"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        weights = self.settings["class_weights"]
        if weights is not None and (
            not isinstance(weights, (list, tuple))
            or not weights
            or any(isinstance(w, bool) or not isinstance(w, (int, float)) or w <= 0 for w in weights)
        ):
            raise ValueError(f"task option class_weights must be null or a list of numbers > 0, got {weights!r}")

    def train_step(self, batch: tuple, iteration: int) -> dict:
        from .losses import segmentation_ce

        images, labels = batch
        with self.autocast():
            logits = self.train_nets["model"](images)
            ce = segmentation_ce(logits, labels, self.settings["class_weights"])
            losses = {"ce": ce}
            if self.settings["dice_weight"]:
                from paddleseg.models.losses import DiceLoss

                losses["dice"] = DiceLoss()(logits.astype("float32"), labels.astype("int64").clone())
            loss = ce + self.settings["dice_weight"] * losses.get("dice", 0.0)
        self.optimize(loss, "model")
        return {"loss": float(loss), **{k: float(v) for k, v in losses.items()}}

    def validate(self, samples: list) -> dict:
        from lib.data.pairs import read_image
        from lib.train.data import read_gray

        from .repair import mask_scores, predict_mask_logits

        return mean_metrics(
            [
                mask_scores(predict_mask_logits(self.nets["model"], read_image(inp)) > 0, read_gray(label) > 0)
                for _, inp, label in samples
            ]
        )


class InpaintingGANTask(Task):
    """DeepFillv2 (the de-occlusion seed): a gated-conv generator (coarse, refined) and an
    SN-PatchGAN discriminator, on (image, mask) samples (mask 1 = hole). Discriminator:
    ``d_loss_scale`` x ``gan_loss`` ("hinge": the paper's and the solution's, who halved it: scale 0.5;
    "wgan": -mean D(real) + mean D(fake), the base repository's default) on (real, composited fake),
    updated every ``d_every`` iterations (a phase key; the solution's second round: 3
    generator updates per discriminator update). Generator: ``l1_weight`` x (``coarse_l1_weight`` x
    L1 of the coarse composite + L1 of the refined composite) + ``perceptual_weight`` x L1 of the
    VGG-16 features of the refined composite and the image (lib.losses.perceptual_l1; the
    ImageNet VGG-16 is downloaded when the weight is not 0) + ``gan_weight`` x (-mean D(fake))
    (:func:`.losses.generator_loss`; the solution: 1000, 0.5, 0, 1). One generator forward per
    iteration serves both updates. Validated by PSNR of the refined composite on the whole sample
    and inside the hole. ``mask_values``: ``binary`` trains on 0 / 1 holes; ``fraction`` on the
    prepared mask levels / 128, as the solution's dataset.py (set by the track from the repair
    option of the same name, which prepares the levels: lib.tracks.deocclusion.data.one_crop_pair)."""

    name = "deepfill_gan"
    networks = ("generator", "discriminator")
    sample_kinds = ("image", "mask")
    phase_keys = frozenset({"d_every"})
    option_defaults = {
        "l1_weight": 1000.0,
        "gan_weight": 1.0,
        "gan_loss": "hinge",
        "perceptual_weight": 0.0,
        "coarse_l1_weight": 1.0,
        "d_loss_scale": 1.0,
        "mask_values": "binary",
    }
    loss_keys = ("loss", "l1", "gan", "perceptual", "d_loss")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from lib import losses

        if self.settings["gan_loss"] not in losses.GAN_LOSSES:
            raise ValueError(
                f"task option gan_loss must be one of {', '.join(losses.GAN_LOSSES)}, got {self.settings['gan_loss']!r}"
            )
        for key in ("perceptual_weight", "coarse_l1_weight", "d_loss_scale"):
            weight = self.settings[key]
            if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight < 0:
                raise ValueError(f"task option {key} must be a number >= 0, got {weight!r}")
        if self.settings["mask_values"] not in ("binary", "fraction"):
            raise ValueError(
                f"task option mask_values must be binary or fraction, got {self.settings['mask_values']!r}"
            )
        weight = self.settings["perceptual_weight"]
        self.perceptual = (
            losses.vgg16_features(option="train: task: perceptual_weight: 0 in lib/configs/deocclusion.yaml")
            if weight
            else None
        )

    metric_keys = ("psnr", "psnr_hole")
    best_metric = "psnr_hole"

    @classmethod
    def kinds(cls, options: dict) -> tuple:
        fraction = (options.get("task") or {}).get("mask_values") == "fraction"
        return ("image", "mask_level") if fraction else cls.sample_kinds

    @classmethod
    def check_phase(cls, index: int, phase: dict) -> None:
        d_every = phase.get("d_every", 1)
        if not isinstance(d_every, int) or isinstance(d_every, bool) or d_every < 1:
            raise ValueError(f"phases[{index}].d_every must be an integer >= 1, got {d_every!r}")

    def start_phase(self, phase: dict) -> None:
        self.d_every = int(phase.get("d_every", 1))

    def train_step(self, batch: tuple, iteration: int) -> dict:
        from lib.losses import composite, perceptual_l1

        from .losses import discriminator_loss, generator_loss

        img, mask = batch
        gen, disc = self.train_nets["generator"], self.train_nets["discriminator"]
        losses = {}
        with self.autocast():
            coarse, refined = gen(img, mask)
        if iteration % self.d_every == 0:
            with self.autocast():
                fake = composite(img, refined, mask).detach()
                d_loss = discriminator_loss(
                    self.settings["gan_loss"], disc(img, mask), disc(fake, mask), self.settings["d_loss_scale"]
                )
            self.optimize(d_loss, "discriminator")
            losses["d_loss"] = float(d_loss)
        with self.autocast():
            d_fake = disc(composite(img, refined, mask), mask)
            terms = generator_loss(
                img,
                mask,
                coarse,
                refined,
                d_fake,
                l1=self.settings["l1_weight"],
                gan=self.settings["gan_weight"],
                coarse_l1=self.settings["coarse_l1_weight"],
                perceptual=self.settings["perceptual_weight"],
                perceptual_fn=(lambda pred, target: perceptual_l1(self.perceptual, pred, target))
                if self.perceptual is not None
                else None,
            )
        self.optimize(terms["total"], "generator")
        losses.update(loss=float(terms["total"]), l1=float(terms["l1_refined"]), gan=float(terms["gan"]))
        if "perceptual" in terms:
            losses["perceptual"] = float(terms["perceptual"])
        return losses

    def validate(self, samples: list) -> dict:
        from lib.data.pairs import read_image
        from lib.metrics import region_psnr
        from lib.train.data import read_gray

        from .repair import PSNR_CAP, network_inpainter

        generator = self.nets["generator"]
        inpaint = network_inpainter(generator)
        rows = []
        for _, image_path, mask_path in samples:
            image, level = read_image(image_path), read_gray(mask_path)
            hole = level > 0
            if self.settings["mask_values"] == "fraction":  # fed as training feeds it: the image whole, levels / 128
                out = _fill_as_trained(generator, image, level)
            else:
                out = inpaint(image, hole)
            rows.append(
                {
                    "psnr": region_psnr(out, image, cap=PSNR_CAP),
                    "psnr_hole": region_psnr(out, image, hole, cap=PSNR_CAP),
                }
            )
        return mean_metrics(rows)


def _fill_as_trained(generator, image, level):
    """The refined output of ``generator`` where ``level`` > 0, given the image and ``level / 128`` as a training
    step gives them (mask_values fraction: no pixel premasked), as RGB uint8."""
    import numpy as np
    import paddle

    unit = image.astype(np.float32) / 255.0
    mask = level.astype(np.float32) / 128
    _, refined = generator(paddle.to_tensor(unit.transpose(2, 0, 1)[None]), paddle.to_tensor(mask[None, None]))
    out = np.clip(refined.numpy()[0].transpose(1, 2, 0), 0.0, 1.0)
    return np.round(np.where((mask > 0)[..., None], out, unit) * 255).astype(np.uint8)


register_task(SegmentationTask)
register_task(InpaintingGANTask)
