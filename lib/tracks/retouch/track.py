"""Track ``retouch``: the face blemish retouching solution (Baidu Netdisk "spots and acne removal": 1st on the
A and B boards, unranked in the final): gUNet with a degradation-model head, ``J = K * I + D + I``, trained in
three stages.

Data: :mod:`lib.tracks.retouch.data` augments the offline faces (astronaut for train / val, Grace Hopper
held out for test_A) and paints blemishes with :mod:`lib.tracks.retouch.blemish`, in the competition layout
``<split>/image`` + ``<split>/groundtruth``. Model: :class:`lib.models.gunet.RetouchGUNet` (K/D head,
guarded recovery). Training: the engine's restoration task, one phase per seed stage with its own
lr, flips and loss mix (:class:`lib.tracks.retouch.loss_mix.LossMix`, registered here as ``loss_mix``).
Evaluation (:mod:`lib.tracks.retouch.evaluate`): PSNR / SSIM / MS-SSIM overall and PSNR inside / outside the
blemishes, for the input, OpenCV inpainting over detected blemishes, bilateral skin smoothing
(both tuned on val) and the model, with the track's two quality bars. Deployment
(:mod:`lib.tracks.retouch.deployment`): lib.export (Paddle Inference + ONNX, predict.py),
dist/retouch_submission.zip, the app's tab.
"""

from __future__ import annotations

from pathlib import Path

from lib.config import active_profile
from lib.tracks.base import Track
from lib.train.registry import register_loss

from .deployment import RetouchDeployment
from .loss_mix import LossMix

register_loss("loss_mix", LossMix)

MODEL_ROW = "RetouchGUNet"
SIZE_LIMIT_BYTES = 10 * 1024 * 1024  # the final round's model size limit (10 MB)


class RetouchTrack(Track):
    name = "retouch"
    title = "Face blemish retouching (A and B boards 1st): gUNet with a K/D degradation-model head, three stages"
    model_name = "gunet"
    notebooks = ("08_face_retouching",)
    models = ("lib.models.gunet",)
    sections = ("data", "model", "train", "evaluate")
    task = "restoration"
    deployment_class = RetouchDeployment  # dist/retouch_submission.zip, the app's tab with the K and D maps

    def generate_data(self, profile=None, out=None, *, seed=0, force=False, workers=None) -> Path:
        from .data import ensure_dataset

        return ensure_dataset(profile, out, seed=seed, force=force, workers=workers)

    def check_data(self, root) -> list[str]:
        from .data import check_root

        return check_root(root)

    def prepare(self, profile=None, source=None, force=False):
        return Path(source) if source else self.generate_data(profile)

    def test_inputs(self, root, board="test_A") -> Path:
        from .data import IMAGE_DIR

        return Path(root) / board / IMAGE_DIR

    def train_data(self, prepared):
        """train/ pairs; val/ for validation (a real download without val/: the last 10 % of train)."""
        from lib.train.engine import TrainData

        from .data import list_pairs

        root = Path(prepared)
        train = [(i, g) for _, i, g in list_pairs(root / "train") if g is not None]
        if (root / "val").is_dir():
            val = [(n, i, g) for n, i, g in list_pairs(root / "val") if g is not None]
        else:
            k = max(1, len(train) // 10)
            val = [(Path(i).name, i, g) for i, g in train[-k:]]
            train = train[:-k]
        return TrainData(train=train, all=train + [(i, g) for _, i, g in val], val=val)

    def evaluation_sets(self, profile=None, data=None, val=None, limit=None):
        """(test samples, val samples) as (name, input, gt, mask) arrays: test_A (the held-out face;
        val/ when the root has no test_A), val/ (or ``val``, engine validation entries) for tuning.
        A test_A without ground truth is an error here: :meth:`evaluate` predicts it instead."""
        from lib.data.pairs import read_image

        from .data import load_split

        profile = active_profile(profile)  # a notebook's entry point (track.evaluation_sets())
        root = Path(data or self.data_root(profile))
        opts = self.config(profile)["evaluate"]
        board = root / "test_A" if (root / "test_A").is_dir() else root / "val"
        test = load_split(board, limit)
        if val is None:
            val = load_split(root / "val", opts["val_images"])
        else:  # tuning needs no masks
            val = [(n, read_image(i), read_image(g), None) for n, i, g in list(val)[: opts["val_images"]]]
        return test, val

    def evaluate(self, model, profile=None, data=None, val=None, out=None) -> dict:
        """test_A (Grace Hopper, never trained on): the input, the two tuned baselines and the model,
        overall and inside / outside the blemishes, with the quality bars. A test_A without
        ``groundtruth/`` (the competition's): the model restores it into ``out`` and nothing is
        scored (:meth:`Track.predict_board`)."""
        from lib.data.pairs import has_ground_truth

        from .data import GT_DIR, IMAGE_DIR
        from .evaluate import baseline_grids, compare_retouch, quality_checks

        profile = active_profile(profile)
        board = Path(data or self.data_root(profile)) / "test_A"
        if board.is_dir() and not has_ground_truth(board, input_dir=IMAGE_DIR, gt_dir=GT_DIR):
            return self.predict_board(model, self.test_inputs(board.parent), profile, "test_A", out)
        opts = self.config(profile)["evaluate"]
        test, val_samples = self.evaluation_sets(profile, data, val)
        rows = compare_retouch(test, val_samples, baseline_grids(opts), model, MODEL_ROW)
        result = {"evaluated_on": "test_A (held-out face: grace_hopper)", "methods": rows}
        if model is not None:
            result["checks"] = quality_checks(rows, opts["outside_tolerance_db"], MODEL_ROW)
        return result


TRACK = RetouchTrack()
