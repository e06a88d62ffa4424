"""Track ``denoise``: real-image denoising with MIRNetV2, reproduced and shipped like a model-zoo entry
(the solution: sldyns/MIRNetV2_paddle; notebook 07).

Data: :mod:`lib.tracks.denoise.data` writes SIDD-Medium's scene layout from clean offline photos made noisy
with Brooks et al.'s camera pipeline (:mod:`lib.tracks.denoise.camera_noise`) and cuts the solution's patches.
Model: :mod:`lib.models.mirnet_v2`. Training: :mod:`lib.tracks.denoise.tasks` (the engine's
``restoration_psnr_ssim`` plus the solution's output clipping and MixUp, used by ``full``) with the
solution's progressive schedule in epochs of the prepared patches (lib/configs/denoise.yaml).
Evaluation: held-out scenes against the
noisy input and the classical denoisers of :mod:`lib.tracks.denoise.baselines` tuned on the validation
patches, per ISO, and a noise-level sweep. Deployment (:mod:`lib.tracks.denoise.deployment`): :mod:`lib.export`,
the app's tab and an ``infer.py``-style single-image path through the exported model
(``python -m lib.tracks.denoise export|infer``).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from lib.config import active_profile, check_profile
from lib.tracks.base import Track

# deployable, export_for_inference and infer_image: notebook 07 and the tests import them from here
from .deployment import DenoiseDeployment, deployable, export_for_inference, infer_image  # noqa: F401 -- see above
from .tasks import DenoiseTask

TUNE_MAX_IMAGES = 8  # validation patches the classical denoisers are tuned on
SWEEP_ISOS = (200, 400, 800, 1600, 3200, 6400, 9600, 12800)
SEED_EPOCHS, SEED_BATCHES, SEED_PATCHES = (30, 15, 10, 5), (8, 6, 4, 2), (128, 160, 192, 256)
SIDD_MEDIUM_PATCHES = 320 * 300  # SIDD-Medium's 320 image pairs x the solution's --num_patches 300


def epochs_to_iters(epochs, batch_sizes, n_patches: int) -> list[int]:
    """Iterations of each progressive stage: ``ceil(epochs * n_patches / batch)`` (one epoch is
    one pass over the patches, as the solution's DataLoader counts it; what
    lib.train.schedule.resolve_epochs does with the ``full`` schedule when training starts)."""
    from lib.train.schedule import epoch_iterations

    if len(epochs) != len(batch_sizes):
        raise ValueError(f"{len(epochs)} epoch counts for {len(batch_sizes)} batch sizes")
    return [epoch_iterations(e, b, n_patches) for e, b in zip(epochs, batch_sizes)]


class DenoiseTrack(Track):
    name = "denoise"
    title = "Real-image denoising: MIRNetV2 (Paddle reproduction), progressive learning, SIDD layout"
    model_name = "mirnetv2"
    task = DenoiseTask
    notebooks = ("07_mirnetv2_denoising",)
    models = ("lib.models.mirnet_v2",)
    sections = ("data", "model", "prepare", "train")
    deployment_class = DenoiseDeployment  # the oneDNN-safe copy, dist/denoise_submission.zip, the app's tab

    def model_spec(self, cfg: dict) -> dict:
        """``{config: <MIRNET_CONFIGS name>, ...overrides}`` -> the registry spec with every option spelled out."""
        from lib.models.mirnet_v2 import MIRNET_CONFIGS

        spec = dict(cfg["model"])
        name = spec.pop("config", None)
        if name is not None and name not in MIRNET_CONFIGS:
            raise ValueError(
                f"lib/configs/denoise.yaml model: unknown config {name!r}; known: {', '.join(MIRNET_CONFIGS)}"
            )
        return {"name": "mirnet_v2", **(MIRNET_CONFIGS[name] if name else {}), **spec}

    # ------------------------------------------------------------------ data
    def generate_data(self, profile=None, out=None, *, seed=0, force=False, workers=None) -> Path:
        from .data import ensure_dataset

        return ensure_dataset(profile, out, seed=seed, force=force, workers=workers)

    def check_data(self, root) -> list[str]:
        """SIDD-Medium's scene folders, the generated test/Data and the solution's SIDD_patches, every
        problem at once (:func:`lib.tracks.denoise.data.check_root`)."""
        from .data import check_root

        return check_root(root)

    def prepare(self, profile=None, source=None, force=False):
        from .data import prepare_patches

        return prepare_patches(active_profile(profile), source=source, force=force)  # a notebook's entry point

    def test_inputs(self, root, board="SIDD_patches/val") -> Path:
        """The noisy images of SIDD's validation blocks, ``SIDD_patches/val/input``."""
        from .data import INPUT_DIR, SIDD_VAL

        return Path(root) / SIDD_VAL / INPUT_DIR

    def train_data(self, prepared):
        from lib.train.engine import TrainData

        train = prepared.pairs("train")
        val = [(f"val/{inp.name}", inp, gt) for inp, gt in prepared.pairs("val")]
        return TrainData(train=train, all=train + [(i, g) for _, i, g in val], val=val)

    def trained_iso_range(self, profile: str) -> tuple[float, float]:
        lo, hi = self.config(check_profile(profile))["data"]["iso_range"]
        return float(lo), float(hi)

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, model, profile=None, data=None, val=None, sweep: bool = True, out=None) -> dict:
        """Held-out scenes (``test/Data``, else SIDD's validation blocks ``SIDD_patches/val``): the
        noisy input, each classical denoiser tuned on validation patches, and ``model``; overall and
        per ISO (levels outside the training range marked), plus the noise-level sweep
        (:func:`noise_sweep`). ``SIDD_patches/val`` without ``groundtruth/``: the model restores it
        into ``out`` and nothing is scored (:meth:`Track.predict_board`)."""
        from lib.data.pairs import has_ground_truth, read_image
        from lib.paths import data_root

        from .data import GT_DIR, INPUT_DIR, SIDD_VAL, TEST_DATA, scene_iso, test_scenes

        profile = active_profile(profile)
        root = Path(data or data_root(self.name, profile))
        board = root / SIDD_VAL
        if (
            not (root / TEST_DATA).is_dir()
            and (board / INPUT_DIR).is_dir()
            and not has_ground_truth(board, input_dir=INPUT_DIR, gt_dir=GT_DIR)
        ):
            return self.predict_board(model, self.test_inputs(root), profile, SIDD_VAL, out)
        if val is None:
            prepared = self.prepare(profile, source=data)
            val = [(f"val/{i.name}", i, g) for i, g in prepared.pairs("val")]
        where, test = test_scenes(root)
        if not test:
            where, test = "validation patches (the data root has no test/Data)", list(val)
        test_images = [(name, read_image(n), read_image(g)) for name, n, g in test]
        tuning = [(read_image(n), read_image(g)) for _, n, g in spread(val, TUNE_MAX_IMAGES)]
        lo, hi = self.trained_iso_range(profile)
        result = compare_denoisers(
            test_images, tuning, model, isos=[scene_iso(n) for n, _, _ in test], trained_range=(lo, hi)
        )
        result["evaluated_on"] = where
        result["trained_iso_range"] = [lo, hi]
        if sweep:
            best = best_classical(result["methods"])
            result["sweep"] = noise_sweep(
                model, [clean for _, _, clean in test_images], SWEEP_ISOS, classical=(best["method"], best["params"])
            )
        return result


def spread(items: list, count: int) -> list:
    """``count`` items spread evenly over ``items`` (all of them if there are fewer)."""
    if len(items) <= count:
        return list(items)
    return [items[int(i)] for i in np.linspace(0, len(items) - 1, count).round()]


def best_classical(rows: list[dict]) -> dict:
    """The classical row with the highest PSNR (rows as :func:`compare_denoisers` gives them)."""
    return max((r for r in rows if r["kind"] == "classical"), key=lambda r: r["psnr"])


def compare_denoisers(test_images, tuning_pairs, model=None, methods=None, isos=None, trained_range=None) -> dict:
    """Score the noisy input, every classical denoiser (parameters tuned on ``tuning_pairs`` of
    (noisy, clean) uint8 images) and ``model`` on ``test_images`` of (name, noisy, clean).
    Returns ``{"methods": rows, "by_iso": [...]}``: rows of method, kind, params, psnr, ssim,
    seconds_per_image; per ISO (``isos``, one per test image, e.g. from the scene names) the same
    rows and whether the level lies in ``trained_range``."""
    from lib.infer import predict_image
    from lib.metrics import psnr, ssim

    from . import baselines as db

    restorers = [("noisy input", "input", {}, lambda x: x)]
    for name in methods or db.METHODS:
        params, _ = db.tune(name, tuning_pairs)
        fn = db.METHODS[name][0]
        restorers.append((name, "classical", params, lambda x, fn=fn, p=params: fn(x, **p)))
    if model is not None:
        model.eval()
        restorers.append(("MIRNetV2", "model", {}, lambda x: predict_image(model, x)))
    scores = {name: [] for name, *_ in restorers}
    for _, noisy, clean in test_images:
        for name, _, _, restore in restorers:
            start = time.perf_counter()
            out = restore(noisy)
            seconds = time.perf_counter() - start
            scores[name].append((psnr(out, clean), ssim(out, clean), seconds))

    def rows(indices):
        return [
            {
                "method": name,
                "kind": kind,
                "params": params,
                "psnr": float(np.mean([scores[name][i][0] for i in indices])),
                "ssim": float(np.mean([scores[name][i][1] for i in indices])),
                "seconds_per_image": float(np.mean([scores[name][i][2] for i in indices])),
            }
            for name, kind, params, _ in restorers
        ]

    result = {"methods": rows(range(len(test_images))), "images": len(test_images), "by_iso": []}
    if isos is not None and all(i is not None for i in isos):
        for iso in sorted(set(isos)):
            indices = [k for k, v in enumerate(isos) if v == iso]
            trained = None if trained_range is None else bool(trained_range[0] <= iso <= trained_range[1])
            result["by_iso"].append(
                {"iso": int(iso), "trained": trained, "images": len(indices), "methods": rows(indices)}
            )
    return result


def noise_sweep(model, clean_images, isos=SWEEP_ISOS, classical=None, seed: int = 0) -> dict:
    """PSNR of the noisy input, ``model`` and (optionally) a tuned classical denoiser
    ``(method name, params)`` at each ISO: every clean image is made noisy anew at that level
    (:func:`lib.tracks.denoise.camera_noise.synthesize`, generator ``(seed, ISO, image)``)."""
    from lib.infer import predict_image
    from lib.metrics import psnr

    from . import baselines as db
    from .camera_noise import synthesize

    out = {"isos": [int(i) for i in isos], "noisy_psnr": [], "model_psnr": [], "classical": None, "classical_psnr": []}
    if classical:
        out["classical"] = {"method": classical[0], "params": classical[1]}
    for iso in isos:
        rows = []
        for k, image in enumerate(clean_images):
            clean, noisy, _ = synthesize(image, np.random.default_rng([seed, int(iso), k]), iso=float(iso))
            row = [psnr(noisy, clean), psnr(predict_image(model, noisy), clean)]
            if classical:
                row.append(psnr(db.METHODS[classical[0]][0](noisy, **classical[1]), clean))
            rows.append(row)
        means = np.mean(rows, axis=0)
        out["noisy_psnr"].append(float(means[0]))
        out["model_psnr"].append(float(means[1]))
        if classical:
            out["classical_psnr"].append(float(means[2]))
    out["model_gain"] = [m - n for m, n in zip(out["model_psnr"], out["noisy_psnr"])]
    return out


# the methods' names as the notebook shows them (lib.tracks.denoise.baselines.METHODS, the input and the model)
METHOD_ZH = {
    "noisy input": "带噪输入",
    "NL-means (skimage)": "非局部均值（skimage）",
    "wavelet (skimage)": "小波收缩（skimage）",
    "TV Chambolle (skimage)": "全变差 Chambolle（skimage）",
    "fastNlMeansDenoisingColored (OpenCV)": "彩色快速非局部均值（OpenCV）",
    "MIRNetV2": "MIRNetV2",
}


def method_zh(name: str) -> str:
    """A method's name in Chinese (unknown names unchanged)."""
    return METHOD_ZH.get(name, name)


def format_table(rows: list[dict]) -> str:
    """The evaluation rows as a text table with Chinese headers and method names (method, PSNR, SSIM,
    seconds per image, parameters)."""
    lines = ["方法" + " " * 26 + f"{'PSNR':>8}{'SSIM':>8}{'每张秒数':>8}  参数"]  # aligned as the rows below
    for r in rows:
        params = ", ".join(f"{k}={v:g}" for k, v in r["params"].items())
        name = method_zh(r["method"])
        pad = 30 - sum(2 if ord(ch) > 0x2E80 else 1 for ch in name)  # CJK characters take two columns
        lines.append(
            f"{name}{' ' * max(pad, 1)}{r['psnr']:8.2f}{r['ssim']:8.4f}{r['seconds_per_image']:12.3f}  {params}"
        )
    return "\n".join(lines)


TRACK = DenoiseTrack()
