"""The tables of lab/bench/README.md, generated from the records in lab/bench/results.

Each generated table sits between ``<!-- table:NAME -->`` and ``<!-- /table -->`` in the README; this module
rewrites what is between the markers, nothing else:

    python -m lab.bench.tables            # rewrite lab/bench/README.md
    python -m lab.bench.tables --check    # exit 1 and name the stale tables when the README differs

A table is a function of the records (``record("deblur_nafnet")`` reads lab/bench/results/deblur_nafnet.json)
returning its Markdown lines; ``TABLES`` maps each marker's NAME to its function.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
README = BENCH / "README.md"
BLOCK = re.compile(r"(<!-- table:(?P<name>[\w.-]+) -->\n)(?P<body>.*?)(<!-- /table -->)", re.S)
TABLES: dict[str, Callable[[], list[str]]] = {}


def table(name: str):
    """Register a table generator under its marker name."""

    def register(fn):
        TABLES[name] = fn
        return fn

    return register


def record(name: str, results: Path | None = None) -> dict:
    """The record lab/bench/results/<name>.json."""
    return json.loads(((results or RESULTS) / f"{name}.json").read_text(encoding="utf-8"))


def rows(header: list[str], body: list[list]) -> list[str]:
    """A Markdown table."""
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(str(c) for c in row) + " |" for row in body),
    ]


def interval(p: dict, digits: int = 2) -> str:
    """``x1.07 [1.03, 1.12]`` of a paired speed-up (median, low, high)."""
    return f"x{p['median']:.{digits}f} [{p['low']:.{digits}f}, {p['high']:.{digits}f}]"


@table("deblur_nafnet")
def deblur_nafnet() -> list[str]:
    r = record("deblur_nafnet")
    t, speed = r["timings"], r["speedup_vs_dygraph"]
    tlc = next(k for k in t if k.startswith("tlc_"))
    window = int(r["tlc_train_size"] * float(tlc.split("_")[1]))
    return rows(
        ["variant", "median s / 1024² tile", "vs dygraph"],
        [
            ["dygraph (eager)", f"{t['dygraph']['median_s']:.1f}", "1.00"],
            [
                f"dygraph + TLC, factor {tlc.split('_')[1]}, train size {r['tlc_train_size']} "
                f"(window {window} at full resolution)",
                f"{t[tlc]['median_s']:.1f}",
                f"{r['tlc_overhead_ratio'][tlc]:.2f} x the time",
            ],
            [
                "`paddle.jit.to_static(model, full_graph=True)`",
                f"{t['to_static']['median_s']:.1f}",
                f"{speed['to_static']:.2f} x faster",
            ],
            [
                "`paddle.jit.save` + Paddle Inference with oneDNN (2 threads)",
                f"{t['paddle_inference_onednn']['median_s']:.1f}",
                f"{speed['paddle_inference_onednn']:.1f} x faster",
            ],
        ],
    )


@table("deblur_prepare")
def deblur_prepare() -> list[str]:
    runs = record("deblur_prepare")["runs"]
    names = {"1": "1 (inline)", "2": "2 (`ProcessPoolExecutor`, spawn)"}
    return rows(
        ["workers", "wall s / page", "CPU s / page", "1000 pairs (wall, extrapolated)"],
        [
            [
                names[k],
                f"{r['seconds_per_image']:.2f}",
                f"{r['cpu_seconds_per_image']:.2f}",
                f"~{r['extrapolated_minutes']:.0f} min",
            ]
            for k, r in runs.items()
        ],
    )


@table("deblur_train")
def deblur_train() -> list[str]:
    losses = {"l1": "L1", "charbonnier_msssim": "Charbonnier + MS-SSIM (4 scales)"}
    return rows(
        ["stage", "loss", "it/s", "images/s", "waiting for data"],
        [
            [
                f"{s['batch_size']} x {s['patch_size']}",
                losses.get(s["loss"], s["loss"]),
                f"{s['iterations_per_second']:.2f}",
                f"{s['images_per_second']:.1f}",
                f"{100 * s['data_wait_share']:.1f} %",
            ]
            for s in record("deblur_train")["stages"]
        ],
    )


@table("deblur_train_profile")
def deblur_train_profile() -> list[str]:
    body = []
    for stage in (0, 1, 2):
        r = record(f"deblur_train_profile_stage{stage}")
        before, after = r["variants"]["broadcast NCHW (before)"], r["variants"]["reshaped (N, C, HW) (after)"]
        body.append(
            [
                f"{r['stage']['batch_size']} x {r['stage']['patch_size']}",
                f"{before['seconds_per_step']:.3f} s, {before['training_pixels_per_second']:,.0f} px/s",
                f"{after['seconds_per_step']:.3f} s, {after['training_pixels_per_second']:,.0f} px/s",
                f"{r['speedup']:.2f}x",
            ]
        )
    return rows(["stage (batch x patch)", "broadcast NCHW (before)", "reshaped (N, C, HW) (after)", "speed-up"], body)


INFERENCE_PATHS = {
    "dygraph": "dygraph",
    "paddle_inference": "Paddle Inference, plain CPU kernels (oneDNN off)",
    "paddle_inference_onednn": "Paddle Inference + oneDNN",
    "onnxruntime": "**ONNX Runtime**",
    "dygraph_tlc": "dygraph + TLC",
    "onednn_quadrants": "oneDNN, the winning solution's 4 tiles",
    "onednn_tiles": "oneDNN, 256-px tiles, overlap 32 (12 tiles)",
    "onednn_tlc": "oneDNN + TLC",
    "onednn_tlc_tiles": "oneDNN + TLC, 256-px tiles",
    "onnx_tiles": "ONNX Runtime, 256-px tiles",
    "onnx_tlc": "ONNX Runtime + TLC",
}


@table("deblur_inference")
def deblur_inference() -> list[str]:
    results = record("deblur_inference")["results"]
    body = []
    for key, label in INFERENCE_PATHS.items():
        r = results[key]
        cells = [
            f"{r['cold_images_per_s']:.2f}",
            f"{r['cold_ms_per_megapixel']:.0f}",
            f"{r['warm_images_per_s']:.2f}",
            f"{r['warm_ms_per_megapixel']:.0f}",
        ]
        bold = label.startswith("**")
        body.append([label, *(f"**{c}**" if bold else c for c in cells)])
    return rows(["path", "cold images/s", "cold ms/MP", "warm images/s", "warm ms/MP"], body)


def tlc_window_rows(name: str, columns: list[tuple[str, str, str, int]]) -> list[str]:
    """One row per TLC window; the best on validation (by score) in bold in the validation columns."""
    r = record(name)
    best = r["best_on_val"]
    body = []
    for model in r["results"]["val"]:
        label = "off" if model == "no TLC" else model.replace("TLC ", "").replace("=", " = ")
        if model == "TLC T=128" and name == "deblur_tlc_window":
            label += " (last stage)"
        window = str(r["windows_px"][model]) if model in r["windows_px"] else "-"
        cells = []
        for _, split, key, digits in columns:
            text = f"{r['results'][split][model][key]:.{digits}f}"
            cells.append(f"**{text}**" if model == best and split == "val" else text)
        body.append([label, window, *cells])
    return rows(["TLC", "window px", *(c[0] for c in columns)], body)


@table("deblur_tlc_window")
def deblur_tlc_window() -> list[str]:
    return tlc_window_rows(
        "deblur_tlc_window",
        [
            ("val PSNR", "val", "psnr", 3),
            ("val MS-SSIM", "val", "ms_ssim", 4),
            ("val score", "val", "score", 5),
            ("test_A PSNR", "test_A", "psnr", 3),
            ("test_A score", "test_A", "score", 5),
        ],
    )


@table("deblur_tlc_window_w32")
def deblur_tlc_window_w32() -> list[str]:
    return tlc_window_rows(
        "deblur_tlc_window_w32",
        [
            ("val PSNR", "val", "psnr", 3),
            ("val score", "val", "score", 5),
            ("test_A PSNR", "test_A", "psnr", 3),
            ("test_A score", "test_A", "score", 5),
        ],
    )


@table("deblur_predict_memory")
def deblur_predict_memory() -> list[str]:
    by = {(r["size"], r["backend"]): r for r in record("deblur_predict_memory")["rows"]}
    notes = {"512x512": "whole", "1024x1024": "whole", "4000x3000": "2 x 7 tiles of 640 x 1536"}
    body = []
    for size in dict.fromkeys(s for s, _ in by):
        cells = [f"{by[size, b]['peak_rss_mb']:.0f} MB, {by[size, b]['seconds']:.1f} s" for b in ("onnx", "paddle")]
        body.append([f"{size.replace('x', ' x ')} ({notes.get(size, '')})", *cells])
    return rows(
        ["image", "ONNX Runtime: peak RSS, time", "Paddle Inference + oneDNN: peak RSS, time"],
        body,
    )


@table("deblur_train_cores")
def deblur_train_cores() -> list[str]:
    return rows(
        ["stage (batch x patch per process)", "variant", "s / iteration", "pixels / s", "images / s", "vs before"],
        [
            [
                f"{r['stage']} ({r['batch_per_process']} x {r['patch']})",
                r["variant"],
                f"{r['seconds_per_iter']:.3f}",
                f"{r['pixels_per_second']:,.0f}",
                f"{r['images_per_second']:.1f}",
                f"{r['speedup_vs_before']:.2f}x",
            ]
            for r in record("deblur_train_cores")["rows"]
        ],
    )


@table("depthwise")
def depthwise() -> list[str]:
    return rows(
        ["formulation", "ms (median)", "vs conv2d NCHW"],
        [
            [r["formulation"], f"{r['ms_median']:.1f}", f"x{r['relative_to_nchw']:.2f}"]
            for r in record("depthwise")["rows"]
        ],
    )


@table("deblur_speed_bound")
def deblur_speed_bound() -> list[str]:
    body = []
    for s in record("deblur_speed_bound")["stages"]:
        plain, bound = s["training_pixels_per_second"].values()
        body.append(
            [
                s["stage"],
                f"{s['batch_size']} x {s['patch_size']}",
                f"{plain:,.0f}",
                f"{bound:,.0f}",
                f"x{s['bound_speedup']:.2f}",
            ]
        )
    return rows(["stage", "batch x patch", "as trained px/s", "convolutions and adds only px/s", "at most"], body)


CHANNEL_OPS_ROWS = [  # (record, track, label)
    ("channel_ops_deblur_stage0", "deblur", "deblur, NAFNet, stage 0"),
    ("channel_ops_deblur_stage1", "deblur", "deblur, NAFNet, stage 1"),
    ("channel_ops_deblur_stage2", "deblur", "deblur, NAFNet, stage 2"),
    ("channel_ops", "retouch", "retouch, RetouchGUNet"),
    ("channel_ops", "denoise", "denoise, MIRNetV2 (identical code in broadcast and expand)"),
    ("channel_ops_sdwnet_deocclusion", "sdwnet", "sdwnet, SDWNet (identical code in view and expand)"),
    (
        "channel_ops_sdwnet_deocclusion",
        "deocclusion",
        "deocclusion, DeepFillv2 generator + discriminator (identical code in view and expand)",
    ),
]


@table("channel_ops")
def channel_ops() -> list[str]:
    body = []
    for name, track, label in CHANNEL_OPS_ROWS:
        r = record(name)["tracks"][track]
        px = [f"{r['modes'][m]['training_pixels_per_second']:,.0f}" for m in ("broadcast", "view", "expand")]
        vs_view = interval(r["paired"]["expand_vs_view"])
        body.append(
            [
                label,
                f"{r['batch'][0]} x {r['batch'][2]}",
                r["paired"]["expand_vs_view"]["rounds"],
                *px,
                interval(r["paired"]["expand_vs_broadcast"]),
                f"**{vs_view}**" if track == "deblur" else vs_view,
            ]
        )
    return rows(
        [
            "track, network",
            "batch x patch",
            "rounds",
            "broadcast px/s",
            "view px/s",
            "expand px/s",
            "expand / broadcast, per round [95 %]",
            "expand / view, per round [95 %]",
        ],
        body,
    )


@table("conv_kernels")
def conv_kernels() -> list[str]:
    r = record("conv_kernels")
    stages = sorted(r["onednn"], key=int)
    header = ["what"] + [f"stage {s} ({r['onednn'][s]['batch'][0]} x {r['onednn'][s]['batch'][2]})" for s in stages]
    return rows(
        header,
        [
            [
                "the demo training step with every 1 x 1 conv as the weight-first product, speed-up per round [95 %]",
                *(interval(r["pointwise_in_step"][s]["matmul_vs_conv2d"]) for s in stages),
            ],
            [
                "the demo training step with `FLAGS_use_mkldnn` on, speed-up per round [95 %]",
                *(interval(r["onednn"][s]["onednn_vs_default_per_round"]) for s in stages),
            ],
        ],
    )


SDWNET_ROWS = [  # (experiment, variant key, experiment label, variant label)
    ("crops", "offline", "crops", "offline windows"),
    ("crops", "online", "crops", "random online crops"),
    ("width_depth", "wide d11 x2", "width vs depth", "wide d 11 x 2 blocks"),
    ("width_depth", "base d8 x4", "width vs depth", "base d 8 x 4"),
    ("width_depth", "deep d6 x8", "width vs depth", "deep d 6 x 8"),
    ("wavelet", "with wavelet", "wavelet", "with the branch (base)"),
    ("wavelet", "without wavelet", "wavelet", "without"),
    ("nafnet", "SDWNet d4 x2", "vs NAFNet", "SDWNet d 4 x 2"),
    ("nafnet", "NAFNet (deblur demo)", "vs NAFNet", "NAFNet (deblur demo)"),
]


@table("sdwnet")
def sdwnet() -> list[str]:
    summary = {(r["experiment"], r["variant"]): r for r in record("sdwnet")["summary"]}
    body = []
    for experiment, variant, label, name in SDWNET_ROWS:
        r = summary[experiment, variant]
        cer = f"{r['cer_mean']:.3f} ± {r['cer_std']:.3f}" if "cer_mean" in r else ""
        body.append(
            [
                label,
                name,
                f"{r['params']:,}",
                f"{r['gmacs_256']:.2f}",
                f"{r['iters']:.0f}",
                f"{r['train_seconds_mean']:.0f}",
                f"{r['psnr_mean']:.3f} ± {r['psnr_std']:.3f}",
                cer,
            ]
        )
    header = ["experiment", "variant", "params", "GMACs / 256²", "iterations", "train s", "PSNR dB", "CER"]
    return [line.replace(" |  |", " | |") for line in rows(header, body)]


SDWNET_SPEED_LABELS = {"sdwnet demo": "sdwnet demo (d 8 x 4 blocks, wavelet 16/8)"}


@table("sdwnet_speed")
def sdwnet_speed() -> list[str]:
    body = []
    for name, r in record("sdwnet_speed")["results"].items():
        ms = r["ms_per_megapixel"]
        body.append(
            [
                SDWNET_SPEED_LABELS.get(name, name),
                f"{r['params']:,}",
                f"{r['gmacs_256']:.2f}",
                f"{r['train_pixels_per_s']:,.0f}",
                f"{ms['dygraph']:,.0f}",
                f"{ms['paddle']:,.0f}",
                f"{ms['onnx']:,.0f}",
                f"{r['paddle_bytes'] / 1e6:.{1 if r['paddle_bytes'] > 1e7 else 2}f} / "
                f"{r['onnx_bytes'] / 1e6:.{1 if r['onnx_bytes'] > 1e7 else 2}f} MB",
            ]
        )
    header = [
        "model",
        "params",
        "GMACs / 256²",
        "train px/s",
        "dygraph ms/MP",
        "Paddle Inference ms/MP",
        "ONNX Runtime ms/MP",
        "Paddle / ONNX bytes",
    ]
    return rows(header, body)


RETOUCH_ATTEMPTS = {
    "recipe": "recipe (the shipped three phases)",
    "mask_loss": "+ mask loss (L1 inside the estimated mask, weight 1)",
    "mask_shift": "+ mask shift (estimated blemishes rolled to a random place, p 0.5)",
}


@table("retouch_attempts_runs")
def retouch_attempts_runs() -> list[str]:
    return rows(
        ["variant", "seed", "iterations", "minutes", "PSNR dB", "inside", "outside"],
        [
            [
                RETOUCH_ATTEMPTS[r["variant"]],
                r["seed"],
                r["iterations"],
                f"{r['train_minutes']:.1f}",
                f"{r['psnr']:.2f}",
                f"{r['psnr_inside']:.2f}",
                f"{r['psnr_outside']:.2f}",
            ]
            for r in record("retouch_attempts")["runs"]
        ],
    )


@table("retouch_attempts_verdicts")
def retouch_attempts_verdicts() -> list[str]:
    body = []
    for attempt, by_metric in record("retouch_attempts")["verdicts"].items():
        for metric, v in by_metric.items():
            body.append(
                [
                    f"recipe beats {attempt.replace('_', ' ')}",
                    metric,
                    f"{v['ours']:.2f} ± {v['ours_std']:.2f}",
                    f"{v['theirs']:.2f} ± {v['theirs_std']:.2f}",
                    f"{v['difference']:+.3f}",
                    f"{v['spread']:.3f}",
                    f"**{v['verdict']}**",
                ]
            )
    return rows(["claim", "metric", "recipe", "attempt", "difference dB", "spread dB", "verdict"], body)


@table("deocclusion_speed")
def deocclusion_speed() -> list[str]:
    r = record("deocclusion_speed")
    seg, gan = r["train"]["deocclusion_seg"], r["train"]["deocclusion"]
    pipe = r["pipeline"]
    s, diff, size = pipe["seconds_per_megapixel"], pipe["pixels_differing_from_dygraph_%"], pipe["exported_bytes"]

    def share(x: float) -> str:
        return f"{x:.0f} %" if x == 0 else f"{x:.4f} %"

    return rows(
        ["what", "measure", "value"],
        [
            [
                "segmenter training (DeepLabV3 + MobileNetV2, batch "
                f"{seg['batch']} of {seg['sample_hw'][0]} x {seg['sample_hw'][1]})",
                "s/it, pixels/s",
                f"{seg['seconds_per_iteration']:.2f}, {seg['train_pixels_per_s']:,.0f}",
            ],
            [
                "GAN training (DeepFillv2 latent 16 + SN-PatchGAN, batch "
                f"{gan['batch']} of {gan['sample_hw'][0]} x {gan['sample_hw'][1]})",
                "s/it, pixels/s",
                f"{gan['seconds_per_iteration']:.2f}, {gan['train_pixels_per_s']:,.0f}",
            ],
            ["pipeline, dygraph", "s per megapixel", f"{s['dygraph']:.3f}"],
            [
                "pipeline, Paddle Inference (plain CPU kernels)",
                "s per megapixel",
                f"{s['paddle_inference']:.3f} (pixels differing from dygraph: {share(diff['paddle_inference'])})",
            ],
            [
                "pipeline, **ONNX Runtime**",
                "s per megapixel",
                f"**{s['onnxruntime']:.3f}** (pixels differing: {share(diff['onnxruntime'])})",
            ],
            *(
                [
                    f"exported {name}",
                    "bytes (.pdiparams / .onnx)",
                    f"{size[key]['model.pdiparams']:,} / {size[key]['model.onnx']:,}",
                ]
                for name, key in (("segmenter", "segmenter"), ("inpainter", "inpainter"))
            ),
        ],
    )


@table("deocclusion_ratio")
def deocclusion_ratio() -> list[str]:
    r = record("deocclusion_ratio")
    body = []
    for name, run in r["runs"].items():
        model = run["test"]["DeepFillv2 (local repair)"]
        ratio = name.split()[1].replace(":", " : ")
        body.append(
            [
                ratio + (" (the winning solution's)" if run["d_every"] == 3 else ""),
                f"{run['minutes']:.1f}",
                f"{run['val']['psnr_hole']:.2f}",
                f"{model['psnr']:.2f}",
                f"{model['psnr_mask']:.2f}",
            ]
        )
    header = [
        f"G : D from {r['from_iteration']} to {r['to_iteration']}",
        "minutes",
        "val PSNR in the holes",
        "test_A page PSNR",
        "test_A inside the mask",
    ]
    return rows(header, body)


RECIPE_ROUNDS = {  # marker name: {run name: the README's label}
    "deblur_recipe_round1": {
        "baseline": "baseline (demo of the time: lr 1e-3, seed 0)",
        "baseline_seed1": "baseline, seed 1",
        "lr2e-3_warmup": "lr 2e-3, 5 % linear warm-up",
        "l1_only": "L1 only (no MS-SSIM phase)",
        "ema0.999": "EMA of the weights, 0.999",
        "wider_w24_enc1111": "wider: width 24, enc [1,1,1,1]",
    },
    "deblur_recipe_round3": {
        "demo_recipe": "demo recipe (lr 2e-3, warm-up), 34 pages",
        "pages160": "same, 160 training pages",
    },
    "deblur_recipe_round4": {
        "r4_demo": "demo recipe, seed 0",
        "r4_demo_seed1": "demo recipe, seed 1",
        "r4_deeper_enc1124": "deeper: enc [1,1,2,4], seed 0",
        "r4_deeper_enc1124_seed1": "deeper: enc [1,1,2,4], seed 1",
        "r4_small_patches_16x48_seed1": "batch x patch 16 x 48, 8 x 88, 6 x 112, seed 1",
        "r4_l1_only": "L1 only (no MS-SSIM phase), seed 0",
        "r4_l1_only_seed1": "L1 only (no MS-SSIM phase), seed 1",
    },
}


def recipe_round(labels: dict) -> list[str]:
    """bench_deblur_recipe.py's own table of the named runs, each under its label."""
    runs = {r["name"]: r for r in record("deblur_recipe")["runs"]}
    chosen = [{**runs[name], "name": label} for name, label in labels.items()]
    return bench_module("bench_deblur_recipe").table(chosen).splitlines()


for _name, _labels in RECIPE_ROUNDS.items():
    table(_name)(lambda labels=_labels: recipe_round(labels))


SHARP, BLURRED, UNSHARP = "sharp (ground truth)", "blurred input", "unsharp mask"
STROKE_METHODS = [BLURRED, "NAFNet", "NAFNet + TLC", UNSHARP]


def width_cell(row: dict, by_area: bool = False) -> str:
    """``4.60 (x3.93)``: a stroke width and its ratio to the sharp page."""
    suffix = "_by_area" if by_area else ""
    return f"{row['stroke_width' + suffix]:.2f} (x{row['ratio_to_sharp' + suffix]:.2f})"


@table("deblur_strokes_widths")
def deblur_strokes_widths() -> list[str]:
    r = record("deblur_strokes")
    by = {(x["split"], x["method"]): x for x in r["by_split"]}
    splits = list(r["pages"])
    body = []
    for by_area in (False, True):
        for split in splits:
            sharp = by[split, SHARP]
            body.append(
                [
                    split + (", by area" if by_area else ""),
                    r["pages"][split],
                    f"{sharp['stroke_width_by_area' if by_area else 'stroke_width']:.2f}",
                    *(width_cell(by[split, m], by_area) for m in STROKE_METHODS),
                ]
            )
    body.append(
        [
            "ink fraction " + " / ".join(splits),
            "",
            *(" / ".join(f"{by[s, m]['ink_fraction']:.3f}" for s in splits) for m in [SHARP, *STROKE_METHODS]),
        ]
    )
    header = ["split", "pages", "sharp", "blurred", "NAFNet", "NAFNet + TLC", "unsharp mask"]
    return [line.replace("|  |", "| |") for line in rows(header, body)]


CJK_NAMES = ("CJK", "SimHei", "Han Serif", "Han Sans", "WenQuanYi")
FAMILY_LABELS = {"(scan)": "(a real scan)"}


@table("deblur_strokes_families")
def deblur_strokes_families() -> list[str]:
    """Per split, Latin families then CJK ones, by name; families with the same pages share a row."""
    r = record("deblur_strokes")
    by = {(x["split"], x["family"], x["method"]): x for x in r["by_family"]}
    body = {}
    for split, family in dict.fromkeys((x["split"], x["family"]) for x in r["by_family"]):
        cells = (
            by[split, family, SHARP]["pages"],
            f"{by[split, family, SHARP]['stroke_width']:.2f}",
            *(width_cell(by[split, family, m]) for m in STROKE_METHODS),
        )
        body.setdefault((split, cells), []).append(family)
    splits = list(r["pages"])
    ordered = sorted(
        body.items(),
        key=lambda kv: (splits.index(kv[0][0]), any(c in kv[1][0] for c in CJK_NAMES), sorted(kv[1])[0]),
    )
    return rows(
        ["split", "family", "pages", "sharp", "blurred", "NAFNet", "NAFNet + TLC", "unsharp mask"],
        [
            [split, "; ".join(FAMILY_LABELS.get(f, f) for f in sorted(families)), *cells]
            for (split, cells), families in ordered
        ],
    )


@table("deblur_strokes_claims")
def deblur_strokes_claims() -> list[str]:
    r = record("deblur_strokes_claims")
    by = {(x["split"], x["method"]): x for x in r["by_split"]}
    splits = list(r["pages"])
    methods = [SHARP, BLURRED, *r["models"], UNSHARP]
    labels = {SHARP: "sharp (ground truth)", BLURRED: "blurred input"}
    body = [
        [labels.get(m, m), *(f"{width_cell(by[s, m])}, ink {by[s, m]['ink_fraction']:.3f}" for s in splits)]
        for m in methods
    ]
    return rows(["method", f"{splits[0]} width px (x sharp), ink", *splits[1:]], body)


CAUSE_SPLITS = {
    "heldout_fonts": "held-out fonts, training blur",
    "heldout_blur": "training fonts, held-out blur",
    "mild_blur": "training fonts, training blur x0.5",
}


@table("deblur_strokes_cause")
def deblur_strokes_cause() -> list[str]:
    """OCR CER / stroke width x sharp per cause split; the best CER of a row (the sharp page aside) in bold."""
    r = record("deblur_strokes_cause")
    by = {(x["split"], x["method"]): x for x in r["by_split"]}
    methods = [m for m in r["ocr"] if m != SHARP]
    body = []
    for split in r["pages"]:
        best = min(r["ocr"][m][split]["cer"] for m in methods)
        cells = []
        for m in methods:
            cer = r["ocr"][m][split]["cer"]
            cells.append(
                (f"**{cer:.3f}**" if cer == best else f"{cer:.3f}") + f" / x{by[split, m]['ratio_to_sharp']:.2f}"
            )
        body.append([CAUSE_SPLITS.get(split, split), *cells, f"{r['ocr'][SHARP][split]['cer']:.3f}"])
    labels = {BLURRED: "blurred", SHARP: "sharp"}
    return rows(["split", *(labels.get(m, m) for m in methods), "sharp"], body)


@table("denoise_progressive")
def denoise_progressive() -> list[str]:
    body = [
        [
            r["variant"],
            r["seed"],
            r["iterations"],
            f"{r['train_pixels'] / 1e6:.1f} M",
            f"{r['psnr']:.2f}",
            f"{r['ssim']:.4f}",
            " / ".join(f"{v:.2f}" for v in r["psnr_by_iso"].values()),
        ]
        for r in record("denoise_progressive")["runs"]
    ]
    isos = " / ".join(record("denoise_progressive")["runs"][0]["psnr_by_iso"])
    return rows(["variant", "seed", "iterations", "pixels", "PSNR dB", "SSIM", f"PSNR per ISO {isos}"], body)


RETOUCH_VARIANTS = {  # the record's variant: its label, bold (the one that meets both bars)
    "shipped demo (400 iterations, 48 training views)": ("shipped demo until 2026-11-23", False),
    "k_pool 1, schedule x2": ("2x schedule", False),
    "k_pool 8, schedule x1": ("k_pool 8", False),
    "k_pool 1, schedule x2, 480 training views": ("2x schedule, 480 views", True),
}
ABLATION = ("input J", "I = (J - D) / (1 + K)", "K only: J / (1 + K)", "D only: J - D")


@table("learner_curves")
def learner_curves() -> list[str]:
    """Every learner's-run curve (``learner_curve_<track>_<overlay>.json``): its last point and its first win."""
    body = []
    for path in sorted(RESULTS.glob("learner_curve_*.json")):
        r = json.loads(path.read_text(encoding="utf-8"))
        last = r["points"][-1]
        win = next((p for p in r["points"] if p["vs_input_db"] > 0 and p["vs_best_classical_db"] > 0), None)
        body.append(
            [
                f"`{r['experiment']}`",
                r["overlay"]["candidate"]["name"],
                last["iteration"],
                f"{last['idle_minutes']:.1f}",
                f"{r['region']} {last[r['region']]:.2f}",
                f"{last['vs_input_db']:+.2f}",
                f"{last['vs_best_classical_db']:+.2f} ({r['best_classical']})",
                f"{win['idle_minutes']:.1f} (iteration {win['iteration']})" if win else "none",
            ]
        )
    header = [
        "experiment",
        "recipe",
        "iterations",
        "idle minutes (2 cores)",
        "last point (dB)",
        "vs input",
        "vs best classical",
        "first point beating both",
    ]
    return rows(header, body)


@table("retouch_variants")
def retouch_variants() -> list[str]:
    by = {r["variant"]: r for r in record("retouch_variants")["rows"]}
    # the first rows were scored before the script recorded n_train: they trained on the shipped demo's data
    views = by["shipped demo (400 iterations, 48 training views)"]["n_train"]
    body = []
    for variant, (label, bold) in RETOUCH_VARIANTS.items():
        r = by[variant]
        ab = {a["output"]: a for a in r["ablation"]}
        inside, drop = r["checks"]["inside_gain_over_best_baseline_db"], r["checks"]["outside_drop_db"]
        mark = (lambda t: f"**{t}**") if bold else (lambda t: t)
        body.append(
            [
                mark(label),
                r["iterations"],
                r.get("n_train", views),
                mark(f"{inside:+.2f}"),
                mark(f"{drop:.2f}") + (" (better than the input)" if drop < 0 else ""),
                " / ".join(f"{ab[o]['psnr_outside']:.2f}" for o in ABLATION),
                " / ".join(f"{ab[o]['psnr_inside']:.2f}" for o in ABLATION[1:]),
            ]
        )
    header = [
        "model",
        "iterations",
        "training views",
        "inside vs best baseline",
        "outside drop",
        "outside PSNR: input / output / K only / D only",
        "inside: output / K only / D only",
    ]
    return rows(header, body)


def paired_cell(d: dict) -> str:
    """``-0.006 [-0.020, +0.009]; 19 / 7``: mean per-page CER difference [95 %]; pages better / worse; bold when
    the interval excludes 0."""
    text = f"{d['mean_difference']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}]; {d['better_pages']} / {d['worse_pages']}"
    return f"**{text}**" if d["high"] < 0 or d["low"] > 0 else text


def paired_table(model: tuple[str, str], splits: list[str], against: list[tuple], corner: str, missing: str = "-"):
    """A 30-page candidate read page by page: ``model`` (its method, its bench tag) minus each of ``against``
    (label, method, the bench tag holding it or None for the shipped model's benches, whether the label shows
    its means) on ``splits``, from the recorded benches merged page by page (lab.tracks.deblur.readings)."""
    from lab.tracks.deblur.readings import merged_page_cer, paired_cer_difference
    from lab.tracks.deblur.strokes import SHIPPED_BENCH30, bench30_file

    method, tag = model
    cer = {}
    for split in splits:
        files = [SHIPPED_BENCH30[split], *(bench30_file(split, t) for _, _, t, _ in against if t)]
        files = [f for f in dict.fromkeys([*files, bench30_file(split, tag)]) if (RESULTS / f).is_file()]
        cer[split] = merged_page_cer([record(f.removesuffix(".json")) for f in files], split)
    header = [corner, *(f"{s} (mean {cer[s][method].mean():.3f})" for s in splits)]
    body = []
    for label, other, _, show_means in against:
        if show_means:
            means = " / ".join(f"{cer[s][other].mean():.3f}" if other in cer[s] else "-" for s in splits)
            label = f"{label} ({means})"
        cells = [
            paired_cell(paired_cer_difference(cer[s][method], cer[s][other])) if other in cer[s] else missing
            for s in splits
        ]
        body.append([label, *cells])
    return [line.replace("|  |", "| |") for line in rows(header, body)]


MINUS = "minus, per page [95 %]; pages better / worse"
SHIPPED = ("shipped model", "shipped + TLC", None, True)
RECIPE_S1 = ("recipe seed 1", "shipped_x4_s1 + TLC", "seed1_recipe", True)
VS_INPUTS = [("blurred input", "blurred input", None, True), ("unsharp mask", "unsharp mask", None, True)]
TILT3 = ["heldout", "heldout_tilt", "test_A"]
PAIRED_TABLES = {  # marker name: (model, splits, against, corner, missing)
    "deblur_shake": (
        ("shake_x4 + TLC", "shake"),
        ["heldout", "heldout_tilt"],
        [SHIPPED, RECIPE_S1, *VS_INPUTS],
        MINUS,
        "-",
    ),
    "deblur_shake015": (
        ("shake015_x4 + TLC", "shake015"),
        TILT3,
        [SHIPPED, ("shake share 0.3", "shake_x4 + TLC", "shake", True), *VS_INPUTS],
        MINUS,
        "-",
    ),
    "deblur_shake_stroke": (
        ("shake_stroke_x4 + TLC", "shake_stroke"),
        TILT3,
        [
            SHIPPED,
            RECIPE_S1,
            ("stroke weight alone", "stroke_x4 + TLC", None, True),
            ("shake share 0.3", "shake_x4 + TLC", "shake", True),
            *VS_INPUTS,
        ],
        MINUS,
        "-",
    ),
    "deblur_shake_copies": (
        ("shake_copies_x4 + TLC", "shake_copies"),
        ["heldout", "test_A"],
        [SHIPPED, RECIPE_S1, ("shake share 0.3, replacing", "shake_x4 + TLC", "shake", True), *VS_INPUTS],
        MINUS,
        "-",
    ),
    "deblur_copies_stroke": (
        ("copies_stroke_x4 + TLC", "copies_stroke"),
        TILT3,
        [
            SHIPPED,
            RECIPE_S1,
            ("shaken copies seed 0", "shake_copies_x4 + TLC", "shake_copies", True),
            ("replacing shake + stroke weight", "shake_stroke_x4 + TLC", "shake_stroke", True),
            *VS_INPUTS,
        ],
        MINUS,
        "",
    ),
    "deblur_pages160": (
        ("pages160_x4 + TLC", "pages160"),
        TILT3,
        [
            ("recipe seed 0, the shipped model", "shipped + TLC", None, True),
            ("recipe seed 2", "recipe_s2_x4 + TLC", "seed2", True),
            *VS_INPUTS,
        ],
        "seed 0, 160 pages, minus, per page [95 %]; better / worse",
        "-",
    ),
    "deblur_pages160_cs": (
        ("pages160_cs_x4 + TLC", "pages160_cs"),
        TILT3,
        [
            ("the shipped model (recipe seed 0)", "shipped + TLC", None, False),
            ("160 pages alone, seed 0", "pages160_x4 + TLC", "pages160", False),
            ("blurred input", "blurred input", None, False),
            ("unsharp mask", "unsharp mask", None, False),
        ],
        "seed 0, 160 pages + copies + stroke, minus, per page [95 %]; better / worse",
        "-",
    ),
}
for _name, _spec in PAIRED_TABLES.items():
    table(_name)(lambda spec=_spec: paired_table(*spec))


def interval_text(d: dict) -> str:
    """``+0.032 [+0.011, +0.055]``: a mean per-page CER difference and its 95 % interval."""
    return f"{d['mean_difference']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}]"


@table("deblur_checkpoint_cer_w32")
def deblur_checkpoint_cer_w32() -> list[str]:
    return rows(
        ["iteration", "val PSNR", "val score", "val CER", "heldout + TLC CER", "heldout minus blurred [95 %]"],
        [
            [
                r["iteration"],
                f"{r['val_psnr']:.2f}",
                f"{r['val_score']:.4f}",
                f"{r['val_cer']:.3f}",
                f"{r['heldout_cer']:.3f}",
                interval_text(r["heldout_minus_blurred"]),
            ]
            for r in record("deblur_checkpoint_cer_w32")["rows"]
        ],
    )


def gate_table(method: str, tag: str, label: str, base: str) -> list[str]:
    """A seed-0 run's gate: per split its mean CER, minus the shipped model, the recipe's seed 2 and the blurred
    input (per page [95 %]), and its stroke width / sharp (the shipped model's in brackets). The benches ran on
    two machines, so shared methods are paired within the cross-machine tolerance."""
    from lab.tracks.deblur.readings import merged_page_cer, paired_cer_difference
    from lab.tracks.deblur.strokes import CROSS_MACHINE_PAGE_CER_TOLERANCE, SHIPPED_BENCH30, bench30_file

    body = []
    for split in ("heldout", "heldout_tilt", "test_A"):
        files = [SHIPPED_BENCH30[split], bench30_file(split, "seed2"), bench30_file(split, tag)]
        benches = [record(f.removesuffix(".json")) for f in files]
        cer = merged_page_cer(benches, split, CROSS_MACHINE_PAGE_CER_TOLERANCE)
        width = {r["method"]: r["ratio_to_sharp"] for b in benches for r in b["by_split"] if r["split"] == split}
        body.append(
            [
                split,
                f"{cer[method].mean():.3f}",
                *(
                    interval_text(paired_cer_difference(cer[method], cer[other]))
                    for other in ("shipped + TLC", "recipe_s2_x4 + TLC", "blurred input")
                ),
                f"x{width[method]:.2f} (x{width['shipped + TLC']:.2f})",
            ]
        )
    header = [
        "split",
        f"{label} mean CER",
        f"minus shipped ({base})",
        f"minus recipe seed 2 ({base})",
        "minus blurred",
        "stroke width / sharp (shipped)",
    ]
    return rows(header, body)


table("deblur_recipe_x8_gate")(lambda: gate_table("recipe_x8 + TLC", "recipe_x8", "8x", "4x"))
table("deblur_deep10_gate")(lambda: gate_table("deep10_x4 + TLC", "deep10", "10-block", "2 blocks"))
table("deblur_msssim255_gate")(lambda: gate_table("msssim255_x4 + TLC", "msssim255", "data_range 255", "data_range 1"))


@table("app_speed")
def app_speed() -> list[str]:
    r = record("app_speed")
    body = [
        [
            row["tab"],
            f"{row['app_seconds_per_megapixel']:.2f}",
            f"{row['app_handler_seconds_per_megapixel']:.2f}",
            f"{row['predict_seconds_per_megapixel']:.2f}",
            f"{row['app_over_predict']:.2f}",
            row["max_abs_difference_grey_levels"],
        ]
        for row in r["rows"]
    ]
    return rows(
        [
            f"tab ({r['side']} x {r['side']})",
            "app: model s / MP",
            "app: handler s / MP (model, classical method, views; OCR off)",
            "predict.py s / MP",
            "app model / predict.py",
            "max abs(app - predict.py), grey levels",
        ],
        body,
    )


@table("app_memory")
def app_memory() -> list[str]:
    memory = record("app_speed")["memory"]
    labels = {"at_start": "process started (lib imported)", "app_built": "app built (no model loaded)"}
    body = []
    for key, value in memory.items():
        label = labels.get(key) or (
            "then one 1-megapixel page per tab (OCR off)"
            if key == "after_a_page_per_tab"
            else f"after one request on {key.removeprefix('after_')}'s example"
        )
        body.append([label, f"{value['rss_mb']:.0f}", f"{value['peak_rss_mb']:.0f}"])
    return rows(["the app's process", "RSS, MB", "peak RSS so far, MB"], body)


@table("check_full")
def check_full() -> list[str]:
    """``make check-full``'s record, kept in lab/records/, through lab.check_full's own table."""
    from lab.check_full import table as check_full_table

    recorded = json.loads((BENCH.parent / "records" / "check_full.json").read_text(encoding="utf-8"))
    return check_full_table(recorded["tracks"]).splitlines()


def bench_module(script: str):
    """A bench script imported from its file (lab/bench/ is not a package; its scripts import from beside them)."""
    import importlib.util

    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(script, BENCH / f"{script}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@table("deblur_claims")
def deblur_claims() -> list[str]:
    return bench_module("bench_deblur_claims").table(record("deblur_claims")).splitlines()


@table("deblur_claims_x0.5")
def deblur_claims_half() -> list[str]:
    return bench_module("bench_deblur_claims").table(record("deblur_claims_x0.5")).splitlines()


@table("deblur_candidates")
def deblur_candidates() -> list[str]:
    """The readability candidates' scoreboard (lab/tracks/deblur/overlays/*.yaml), as its command line prints it."""
    from lab.tracks.deblur.candidates import scoreboard, scoreboard_markdown

    return scoreboard_markdown(scoreboard(results_dir=RESULTS), zh=False).splitlines()


def rewrite(text: str) -> tuple[str, list[str]]:
    """The README with every marked table generated afresh, and the names of the tables that changed."""
    changed = []

    def fresh(match: re.Match) -> str:
        name = match["name"]
        if name not in TABLES:
            raise KeyError(f"lab/bench/README.md: no generator for <!-- table:{name} --> (known: {', '.join(TABLES)})")
        body = "\n".join(TABLES[name]()) + "\n"
        if body != match["body"]:
            changed.append(name)
        return match.group(1) + body + match.group(4)

    return BLOCK.sub(fresh, text), changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 when a table is stale")
    args = parser.parse_args(argv)
    if (
        str(BENCH.parent) not in sys.path
    ):  # run as lab/bench/tables.py: the tables that read lib import it from the root
        sys.path.insert(0, str(BENCH.parent))
    text = README.read_text(encoding="utf-8")
    new, changed = rewrite(text)
    if args.check:
        if changed:
            print(
                f"lab/bench/README.md: stale table(s) {', '.join(changed)}; run python -m lab.bench.tables",
                file=sys.stderr,
            )
            return 1
        return 0
    if new != text:
        README.write_text(new, encoding="utf-8")
    print(f"lab/bench/README.md: {len(changed)} table(s) rewritten" + (f" ({', '.join(changed)})" if changed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
