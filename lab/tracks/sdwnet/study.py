"""The solution's claims as small experiments (notebook 06, lab/bench/bench_sdwnet.py): short trainings of
SDWNet variants through the course engine, scored on held-out test pages, several seeds each.

* ``crops``: random crops of the offline sliding-window patches vs random online crops of the whole
  pages, equal iterations (the solution: offline crops are a "free gain" of about +0.1 dB);
* ``width_depth``: wide-and-shallow vs narrow-and-deep SDWNets at about the same parameter count
  (the solution: width matters more than depth);
* ``wavelet``: with and without the wavelet branch (the solution's ablation: the branch adds PSNR);
* ``nafnet``: SDWNet vs the deblur track's NAFNet at similar conv MACs and equal training time,
  with the OCR character error rate of notebook 04 (the solution: it restores text better than U-Nets).

Every variant trains with the same loss (Charbonnier + SSIM, 1:1), batch, patch and data; what
differs is named by the experiment. :func:`summarize` gives mean and spread (sample standard
deviation over seeds) per variant, :func:`verdict` says whether a difference exceeds the spread.
"""

from __future__ import annotations

import copy
import math
import time
from pathlib import Path

import numpy as np

from lab.claims import decide

# The variants (model options of lib.models.sdwnet unless "name" says otherwise).
BASE = {"name": "sdwnet", "num_blocks": 4, "d_mult": 8, "wavelet": True, "wavelet_widths": [16, 8]}
VARIANTS = {
    "crops": {"offline": (BASE, "offline"), "online": (BASE, "online")},
    # about 230 k parameters each (wide 256 k, base 231 k, deep 228 k): lib.models.nafnet.count_parameters
    "width_depth": {
        "wide d11 x2": ({**BASE, "d_mult": 11, "num_blocks": 2}, "offline"),
        "base d8 x4": (BASE, "offline"),
        "deep d6 x8": ({**BASE, "d_mult": 6, "num_blocks": 8}, "offline"),
    },
    "wavelet": {"with wavelet": (BASE, "offline"), "without wavelet": ({**BASE, "wavelet": False}, "offline")},
    # conv MACs at 256 x 256: this SDWNet 1.75 G, the deblur demo NAFNet 1.41 G (lab.complexity.conv_macs)
    "nafnet": {
        "SDWNet d4 x2": ({**BASE, "d_mult": 4, "num_blocks": 2, "wavelet_widths": [8, 8]}, "offline"),
        "NAFNet (deblur demo)": ("deblur", "offline"),
    },
}
EXPERIMENTS = tuple(VARIANTS)
# which variant of an experiment is the solution's claim, and which it should beat
CLAIMS = {
    "crops": ("offline", "online"),
    "width_depth": ("wide d11 x2", "deep d6 x8"),
    "wavelet": ("with wavelet", "without wavelet"),
    "nafnet": ("SDWNet d4 x2", "NAFNet (deblur demo)"),
}

# What the solution says for each experiment, quoted, and where (notebook 06's 复现核对: lab.claims.claim_lines_zh).
# The paper's words are its abstract's (arXiv 2110.05803); the repository's are FlyEgle/SDWNet's. "Width matters more
# than depth" is in neither: its citation says it is a paraphrase (转述) and what the repository does show.
CLAIM_SOURCES = {
    "crops": (
        "Crop the src Training LR and HR images to 480x480 by sliding window which step is 240",
        "FlyEgle/SDWNet README.MD 第 3 节 Training：原方案离线切好窗口，训练时再从窗口里随机裁剪",
    ),
    "width_depth": (
        "宽度比深度重要",
        "转述：论文与 FlyEgle/SDWNet 仓库里没有这句原话；仓库的论文配置取宽 32、16 个模块"
        "（config/paper_prepare/deblur_param/goprol_dataset_wavelet_wide_32_block_16_256x256.yaml）",
    ),
    "wavelet": (
        "we propose a novel module using the wavelet transform, which effectively helps the network to recover clear "
        "high-frequency texture details",
        "arXiv 2110.05803 摘要",
    ),
    "nafnet": (
        "most of these methods use repeated up-sampling and down-sampling structures to expand the receptive field, "
        "which results in texture information loss during the sampling process",
        "arXiv 2110.05803 摘要（对照的 NAFNet 正是反复下采样 / 上采样的编码器-解码器）",
    ),
}


def model_spec(spec) -> dict:
    """A variant's model options: a dict as is; ``"deblur"``: the deblur track's profile model (NAFNet)."""
    if spec == "deblur":
        from lib.tracks import get_track

        track = get_track("deblur")
        return track.model_spec(track.config())
    return copy.deepcopy(spec)


def describe_model(spec: dict) -> dict:
    """Parameters and conv MACs at 256 x 256 of a model spec."""
    import paddle

    from lab.complexity import conv_macs
    from lib.models.nafnet import count_parameters
    from lib.train.registry import build_model

    net = build_model(spec)
    net.eval()
    with paddle.no_grad():
        macs = conv_macs(net, (1, 3, 256, 256))
    return {"params": int(count_parameters(net)), "gmacs_256": macs / 1e9}


def train_options(spec: dict, iters: int, batch: int, patch: int, seed: int, lr: float | None = None) -> dict:
    """The sdwnet track's train options of the profile, cut to one stage of ``iters`` (one cosine,
    a warm-up of a tenth of it, validation only at the end on one page); NAFNet keeps its own
    track's optimizer (lr 2e-3, betas 0.9/0.9 in demo)."""
    from lib.tracks import get_track

    opts = copy.deepcopy(get_track("sdwnet").config()["train"])
    if spec.get("name") == "nafnet":
        opts["optimizer"] = copy.deepcopy(get_track("deblur").config()["train"]["optimizer"])
    if lr is not None:
        opts["optimizer"]["lr"] = lr
    opts.update(
        stages=[{"batch_size": batch, "patch_size": patch, "iters": iters}],
        phases=[{"loss": "charbonnier_ssim", "iters": iters}],
        model=spec,
        seed=seed,
        val_every=iters,
        save_every=iters,
        log_every=max(1, iters // 10),
        val_max_images=1,
    )
    opts["scheduler"] = {**opts.get("scheduler", {}), "warmup_iters": max(1, iters // 10)}
    opts["scheduler"].pop("periods", None)
    return opts


def measure_speed(spec: dict, batch: int, patch: int, steps: int = 4) -> float:
    """Training iterations per second of ``spec`` (AdamW, Charbonnier + SSIM) on random batches,
    after two warm-up steps."""
    import paddle

    from lib.losses import CharbonnierSSIMLoss
    from lib.train.registry import build_model

    net = build_model(spec)
    opt = paddle.optimizer.AdamW(parameters=net.parameters(), learning_rate=1e-4)
    loss_fn = CharbonnierSSIMLoss()
    x, y = paddle.rand([batch, 3, patch, patch]), paddle.rand([batch, 3, patch, patch])
    for i in range(2 + steps):
        if i == 2:
            start = time.perf_counter()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        opt.clear_grad()
    return steps / (time.perf_counter() - start)


def train_variant(
    spec: dict, prepared, crops: str, *, iters: int, batch: int, patch: int, seed: int, out_dir, lr: float | None = None
):
    """Train one variant through the engine (sdwnet track data, ``crops``); returns the network in
    eval mode with its weight average swapped in, and the training seconds."""
    from lib.tracks import get_track
    from lib.train.engine import Trainer

    track = get_track("sdwnet")
    opts = train_options(spec, iters, batch, patch, seed, lr)
    trainer = Trainer(
        opts, track.train_data(prepared, crops), Path(out_dir), quiet=True, task=track.task, track=track.name
    )
    start = time.perf_counter()
    trainer.fit()
    seconds = time.perf_counter() - start
    if trainer.ema is not None:
        trainer.ema.swap_in()
    model = trainer.model
    model.eval()
    return model, seconds, trainer.history


def score(model, pairs) -> dict:
    """Mean PSNR / MS-SSIM / score of the model on (name, blurred, sharp) pages, whole-image inference."""
    from lib.evaluate import score_restorer
    from lib.infer import predict_image

    return score_restorer(lambda x: predict_image(model, x), pairs)


def character_error_rate(model, root, limit: int | None, ocr) -> float:
    """Notebook 04's OCR character error rate of the model's restorations of test_A."""
    from lib.evaluate import readability
    from lib.infer import predict_image

    rows = readability(
        {"model": lambda x: predict_image(model, x)},
        root,
        splits=("test_A",),
        ocr=ocr,
        limit=limit,
        reference_pages=False,
        input_rows=False,
    )
    return float(rows[0]["cer"])


def run_experiment(
    experiment: str,
    variant: str,
    seed: int,
    prepared,
    eval_pairs,
    out_dir,
    *,
    iters: int,
    batch: int,
    patch: int,
    seconds: float | None = None,
    root=None,
    ocr=None,
    eval_limit: int | None = None,
) -> dict:
    """One (experiment, variant, seed) run: train, score on ``eval_pairs``; for ``nafnet`` the
    iterations come from ``seconds`` of training at the measured speed (equal time), and the OCR
    character error rate is added. Returns one result row."""
    spec_or_name, crops = VARIANTS[experiment][variant]
    spec = model_spec(spec_or_name)
    row = {
        "experiment": experiment,
        "variant": variant,
        "seed": seed,
        "crops": crops,
        "model": spec,
        **describe_model(spec),
    }
    if experiment == "nafnet" and seconds:
        speed = measure_speed(spec, batch, patch)
        row["measured_it_per_s"] = speed
        iters = max(5, int(seconds * speed))
    row["iters"] = iters
    model, train_seconds, _ = train_variant(
        spec,
        prepared,
        crops,
        iters=iters,
        batch=batch,
        patch=patch,
        seed=seed,
        out_dir=Path(out_dir) / f"{experiment}-{variant.replace(' ', '_')}-s{seed}",
    )
    row["train_seconds"] = train_seconds
    row.update({k: v for k, v in score(model, eval_pairs).items()})
    if experiment == "nafnet" and root is not None and ocr is not False:
        row["cer"] = character_error_rate(model, root, eval_limit, ocr)
    return row


def summarize(runs: list[dict]) -> list[dict]:
    """Per (experiment, variant): seeds, mean and sample standard deviation of PSNR / score (and
    CER, seconds), parameters and MACs."""
    out = []
    keys = list(dict.fromkeys((r["experiment"], r["variant"]) for r in runs))
    for experiment, variant in keys:
        rows = [r for r in runs if r["experiment"] == experiment and r["variant"] == variant]
        entry = {
            "experiment": experiment,
            "variant": variant,
            "seeds": len(rows),
            "params": rows[0]["params"],
            "gmacs_256": rows[0]["gmacs_256"],
            "iters": float(np.mean([r["iters"] for r in rows])),
        }
        for key in ("psnr", "score", "cer", "train_seconds"):
            values = [r[key] for r in rows if key in r and r[key] is not None and not math.isnan(r[key])]
            if values:
                entry[f"{key}_mean"] = float(np.mean(values))
                entry[f"{key}_std"] = float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")
        out.append(entry)
    return out


def verdict(summary: list[dict], experiment: str, key: str = "psnr") -> dict:
    """The solution's claim of ``experiment`` (CLAIMS: variant a beats variant b) against the data:
    the difference of the means, the larger of the two spreads, and whether the difference is
    larger than that spread (with one seed the spread is unknown: ``resolved`` is None)."""
    a, b = CLAIMS[experiment]
    by = {s["variant"]: s for s in summary if s["experiment"] == experiment}
    if a not in by or b not in by or f"{key}_mean" not in by[a] or f"{key}_mean" not in by[b]:
        return {}
    diff = by[a][f"{key}_mean"] - by[b][f"{key}_mean"]
    spread = max(by[a][f"{key}_std"], by[b][f"{key}_std"])
    state = decide(diff, spread, higher_is_better=key != "cer")
    resolved = None if math.isnan(spread) else state != "not resolved"
    return {
        "experiment": experiment,
        "claim": f"{a} > {b}",
        "metric": key,
        "difference": diff,
        "spread": spread,
        "resolved": resolved,
        "agrees": (diff > 0) if key != "cer" else (diff < 0),
        "verdict": state,
    }


def verdict_text(v: dict) -> str:
    """One line for a :func:`verdict`."""
    if not v:
        return "no data"
    unit = " dB" if v["metric"] == "psnr" else ""
    metric = "cer, lower is better" if v["metric"] == "cer" else v["metric"]
    if v["resolved"] is None:
        state = "one random seed only: spread unknown"
    elif v["resolved"]:
        state = f"larger than the run-to-run spread: {'supports' if v['agrees'] else 'CONTRADICTS'} the claim"
    else:
        state = "smaller than the run-to-run spread: not resolved by these runs"
    return f"{v['claim']} ({metric}): difference {v['difference']:+.3f}{unit}, spread {v['spread']:.3f}{unit}, {state}"
