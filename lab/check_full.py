"""``make check-full``: every track's ``full`` profile end to end at full size on this CPU, and what
its training would cost on a GPU.

    python -m lab.check_full [track ...] [--json lab/records/check_full.json] [--work runs/check_full]

For each track (default: all of the course's), in a process of its own (so its peak memory is its
own):

1. **data**: a few samples of the full profile's size, generated and laid out as the real download
   is (the test board without ground truth; the track's row of :data:`FULL_CHECKS`), and prepared;
2. **training steps**: the ``full`` networks and options (amp off: a CPU), a Trainer whose only
   stage is the first stage's batch x patch, then one whose stage is the last stage's (single-stage
   tracks: once). One optimizer step at batch 1 first (it counts the forward conv MACs per sample,
   lab.complexity.ConvMacCounter, and the memory a sample adds); then two steps at the stage's own
   batch when that is predicted to take at most ``--step-budget`` seconds and fit in
   ``--memory-budget`` GiB, else a second step at batch 1, whose time is scaled by the batch (said
   in the output). The measured seconds are those of the last step, as wall time and as "idle"
   time: the step's CPU time over the usable cores, what it takes when nothing else runs on the
   machine (these machines are shared); the choices above use the idle time;
3. **evaluate**: ``Track.evaluate`` on the test board without ground truth, i.e. the restored
   images written and no metrics. An image-to-image network whose full-size image is predicted to
   take longer than ``--eval-budget`` seconds here (its MACs per pixel x pixels at the CPU rate
   just measured) gets a centred crop of the image that fits, and says so;
4. **export and submission**: ``Track.build_submission`` (Paddle Inference + ONNX, each checked
   against dygraph), the zip unpacked into an empty folder and its ``predict.py`` run on the board.

GPU estimate: every stage's iterations x 3 x the forward conv MACs of its steps (forward, gradient
of the input, gradient of the weights; counted at the measured stages, per pixel for the others)
x 2 FLOP / (a V100's fp32 peak x an assumed efficiency, :data:`GPU`). Only convolutions count
(norms, gates and losses not), validation and data loading not, and the de-occlusion GAN's amp is
not assumed (fp32): read it as a lower bound of the compute time, good to a factor of ~2-4. The
CPU's own rate (3 x MACs / measured seconds) is printed beside it as a cross-check: where it is far
below the others' the network is bound by its elementwise work, and the GPU estimate is optimistic
for it too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lab.tracks.deblur import full_check as pages_check
from lab.tracks.denoise import full_check as denoise_check
from lab.tracks.deocclusion import full_check as deocclusion_check
from lab.tracks.retouch import full_check as retouch_check

GPU = {
    "name": "NVIDIA V100 SXM2 16 GB",
    "fp32_peak_flops": 15.7e12,
    "efficiency": 0.25,
    "why": "fp32 peak 15.7 TFLOP/s (NVIDIA's datasheet) x 0.25: an assumed share for training small-kernel "
    "and depthwise convolution networks with norms and gates in fp32 (stated, not measured: no GPU here)",
}
STEP_BUDGET_S = 45.0
EVAL_BUDGET_S = 240.0
MEMORY_BUDGET_GIB = 20.0
GIB = 1024**3


def no_extras(profile: str = "full") -> tuple[dict, dict]:
    return {}, {}


@dataclass(frozen=True)
class FullCheck:
    """What this check needs of a track beyond its recipe (lib's Track knows nothing of it)."""

    # (track, data_dir, work, profile) -> (root, prepared): a few samples of the profile's size generated under
    # data_dir (shared by tracks that read the same data), laid out under work/data as the real download has them
    # (the test board without ground truth), and what the track's train_data reads, prepared under work
    data: Callable
    # profile -> (evaluate options, build_submission options): the other networks a deployment needs, untrained
    extras: Callable = no_extras
    # restoring an image costs its pixels x the network's MACs per pixel (the evaluation is cropped to the budget)
    cost_scales_with_pixels: bool = True
    # the real data's prepared training samples (or what gives them): what a full schedule in epochs counts
    train_samples: int | Callable[[], int] | None = None

    def samples(self) -> int | None:
        return self.train_samples() if callable(self.train_samples) else self.train_samples


# 1000 pairs less 100 for validation, each 2048 x 1448 after the 2x downsample, 48 windows of 480 px at step 240
# (lib/configs/sdwnet.yaml)
SDWNET_WINDOWS = 900 * 48

FULL_CHECKS = {
    "deblur": FullCheck(pages_check.data),
    "sdwnet": FullCheck(pages_check.data, train_samples=SDWNET_WINDOWS),
    "denoise": FullCheck(denoise_check.data, train_samples=denoise_check.train_samples),
    "retouch": FullCheck(retouch_check.data),
    # the networks see the photo at seg_size and crops shrunk by r, whatever the photo's pixels
    "deocclusion": FullCheck(deocclusion_check.data, deocclusion_check.segmenter_extras, cost_scales_with_pixels=False),
    "deocclusion_seg": FullCheck(
        deocclusion_check.data, deocclusion_check.generator_extras, cost_scales_with_pixels=False
    ),
}
DEFAULT_TRACKS = tuple(FULL_CHECKS)


def full_check(name: str) -> FullCheck:
    """The row of :data:`FULL_CHECKS` of track ``name``; a clear error for a track without one."""
    if name not in FULL_CHECKS:
        raise ValueError(f"track {name!r} has no full-size check (lab.check_full.FULL_CHECKS)")
    return FULL_CHECKS[name]


# ---------------------------------------------------------------------------------------- memory
def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def current_rss() -> int:
    """Resident bytes of this process now (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def peak_rss() -> int:
    """The largest resident size this process has had (bytes)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(kib * (1 if sys.platform == "darwin" else 1024))


class RssSampler:
    """The largest resident size seen while the context is active (sampled every 10 ms)."""

    def __init__(self, every: float = 0.01):
        self.every, self.peak = every, 0
        self._stop = threading.Event()

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, current_rss())
            self._stop.wait(self.every)

    def __enter__(self):
        self.peak = current_rss()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, current_rss())
        return False


# ---------------------------------------------------------------------------------------- training steps
def step_options(options: dict, stage: dict, phase_index: int, steps: int, start: int | None = None) -> dict:
    """Trainer overrides for ``steps`` iterations of one stage and phase of ``options`` (a schedule in
    iterations: :func:`schedule_in_iterations`): amp off, no validation, no checkpoint, a scheduler
    that fits the short schedule (one period, the floor of the period at ``start``, the stage's first iteration;
    by default the phase's), the task's options as resolved. The phase stands alone: no ``restart_from``."""
    phase = {k: v for k, v in options["phases"][phase_index].items() if k != "restart_from"}
    scheduler = dict(options.get("scheduler") or {})
    if scheduler.get("name", "cosine_restart") == "cosine_restart":
        periods = scheduler.get("periods")
        scheduler.update(periods=None, restart_weights=None)
        scheduler.pop("warmup_iters", None)
        floors = scheduler.get("eta_min")
        if isinstance(floors, (list, tuple)):  # one floor per period: the one the stage starts in
            index = phase_index
            if periods and start is not None:
                ends = [sum(periods[: i + 1]) for i in range(len(periods))]
                index = next((i for i, end in enumerate(ends) if start < end), len(ends) - 1)
            scheduler["eta_min"] = floors[min(index, len(floors) - 1)]
    return {
        "stages": [{**stage, "iters": steps}],
        "phases": [{**phase, "iters": steps}],
        "scheduler": scheduler,
        **({"task": options["task"]} if options.get("task") else {}),
        "amp": False,
        "val_every": 10**9,
        "save_every": 10**9,
        "log_every": 10**9,
    }


def schedule_in_iterations(name: str, options: dict) -> tuple[dict, str]:
    """``options`` of track ``name`` with a schedule in epochs turned into iterations over the real data's training
    samples (its ``train_samples`` in :data:`FULL_CHECKS`), and a note saying so ("" when already in iterations)."""
    from lib.train.schedule import resolve_epochs

    if not any("epochs" in s for s in options["stages"]):
        return options, ""
    samples = FULL_CHECKS[name].samples() if name in FULL_CHECKS else None
    if not samples:
        raise ValueError(
            f"track {name!r}: its schedule is in epochs but lab.check_full.FULL_CHECKS states no train_samples "
            "(the real data's training samples) to count them"
        )
    resolved = resolve_epochs(options, samples)
    return resolved, (
        f"the schedule in epochs counted over the real data's {samples:,} training samples: "
        f"{sum(s['iters'] for s in resolved['stages']):,} iterations"
    )


def _phase_at(options: dict, iteration: int) -> int:
    """Index of the phase that covers ``iteration``."""
    start = 0
    for index, phase in enumerate(options["phases"]):
        if iteration < start + phase["iters"]:
            return index
        start += phase["iters"]
    return len(options["phases"]) - 1


def measure_stage(
    track,
    profile: str,
    prepared,
    work: Path,
    stage_index: int,
    *,
    step_budget: float = STEP_BUDGET_S,
    memory_budget: float = MEMORY_BUDGET_GIB,
) -> tuple[dict, object]:
    """Optimizer steps at stage ``stage_index`` of the profile (see the module docstring). Returns
    (the measurement, the trainer)."""
    from lab.complexity import ConvMacCounter
    from lib.train.data import KeyedPatchDataset, make_loader

    options, _ = schedule_in_iterations(track.name, track.train_options(track.config(profile)))
    stage = options["stages"][stage_index]
    start = sum(s["iters"] for s in options["stages"][:stage_index])
    phase_index = _phase_at(options, start)
    phase = options["phases"][phase_index]
    trainer = track.trainer(
        profile,
        work / f"run_stage{stage_index}",
        prepared=prepared,
        quiet=True,
        **step_options(options, stage, phase_index, 2, start),
    )
    samples = trainer.data.all if phase.get("all_data") else trainer.data.train
    dataset = KeyedPatchDataset(
        samples,
        stage["patch_size"],
        seed=trainer.opts["seed"],
        kinds=trainer.task_class.sample_kinds,
        augment={**trainer.opts["augment"], **(phase.get("augment") or {})},
    )
    trainer.task_runner.start_phase(trainer.phases.at(0).options)
    for net in trainer.networks.values():
        net.train()

    def run(batch_size: int, steps: int) -> list[dict]:
        rows = []
        for batch in make_loader(dataset, 0, steps, batch_size):
            with ConvMacCounter(trainer.networks.values()) as macs, RssSampler() as rss:
                start, cpu = time.perf_counter(), time.process_time()
                trainer._step(batch)  # the engine's own step: the task's update(s), EMA, schedulers
                seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            trainer.iteration += 1
            rows.append(
                {
                    "batch": batch_size,
                    "seconds": seconds,
                    "idle_seconds": cpu / cores,
                    "forward_macs": macs.macs,
                    "rss": rss.peak,
                }
            )
        return rows

    # the CPU time of a step over the usable cores: its wall time on this machine when nothing else runs
    # (a lower bound; the machine is shared), so the choices below do not depend on other jobs
    cores = usable_cores()
    batch, base_rss = int(stage["batch_size"]), current_rss()
    first = run(1, 1)[0]
    per_sample_rss = max(first["rss"] - base_rss, 0)
    predicted_seconds, predicted_rss = first["idle_seconds"] * batch, base_rss + per_sample_rss * batch
    note = ""
    if batch == 1:
        rows = run(1, 1)
    elif predicted_seconds <= step_budget and predicted_rss <= memory_budget * GIB:
        rows = run(batch, 2)
    else:
        rows = run(1, 1)
        why = (
            f"{predicted_seconds:.0f} s > {step_budget:g} s"
            if predicted_seconds > step_budget
            else f"{predicted_rss / GIB:.1f} GiB > {memory_budget:g} GiB"
        )
        note = (
            f"stage {stage_index} measured at batch 1 and scaled x{batch} (batch {batch} predicted {why} on this CPU)"
        )
    last = rows[-1]
    scale = batch / last["batch"]
    sample_pixels = None if stage["patch_size"] is None else int(stage["patch_size"]) ** 2
    result = {
        "stage": stage_index,
        "batch_size": batch,
        "patch_size": stage["patch_size"],
        "iters": stage["iters"],
        "measured_batch": last["batch"],
        "steps_run": 1 + len(rows),
        "seconds_per_step": last["seconds"] * scale,
        "idle_seconds_per_step": last["idle_seconds"] * scale,
        "forward_gmacs_per_step": first["forward_macs"] * batch / 1e9,
        "forward_macs_per_pixel": first["forward_macs"] / sample_pixels if sample_pixels else None,
        "cpu_gmac_per_s": 3 * last["forward_macs"] / last["idle_seconds"] / 1e9,
        "step_rss_gib": last["rss"] / GIB,
        "rss_at_batch_gib": (base_rss + per_sample_rss * batch) / GIB,
        **({"note": note} if note else {}),
    }
    return result, trainer


def training_cost(options: dict, measured: list[dict], gpu: dict = GPU) -> dict:
    """GPU hours of the whole schedule (module docstring) and the CPU's, from the measured stages:
    a stage not measured (or measured at another batch x patch: a record older than the schedule)
    takes the MACs per pixel and the CPU rate of the measured stage whose patch is nearest to its own."""
    stages, total_macs, cpu_seconds, rows = options["stages"], 0.0, 0.0, []
    for index, stage in enumerate(stages):
        own = next(
            (
                m
                for m in measured
                if m["stage"] == index
                and m["patch_size"] == stage["patch_size"]
                and m.get("batch_size", stage["batch_size"]) == stage["batch_size"]
            ),
            None,
        )
        if own is not None:
            forward = own["forward_gmacs_per_step"] * 1e9
            rate = own["cpu_gmac_per_s"] * 1e9
        else:
            near = min(measured, key=lambda m: abs((m["patch_size"] or 0) - (stage["patch_size"] or 0)))
            forward = near["forward_macs_per_pixel"] * stage["batch_size"] * stage["patch_size"] ** 2
            rate = near["cpu_gmac_per_s"] * 1e9
        train_macs = 3 * forward * stage["iters"]
        total_macs += train_macs
        cpu_seconds += train_macs / rate
        rows.append(
            {
                "stage": index,
                "batch_size": stage["batch_size"],
                "patch_size": stage["patch_size"],
                "iters": stage["iters"],
                "train_tmacs": train_macs / 1e12,
                "measured": own is not None,
            }
        )
    gpu_seconds = 2 * total_macs / (gpu["fp32_peak_flops"] * gpu["efficiency"])
    return {
        "iterations": sum(s["iters"] for s in stages),
        "train_pmacs": total_macs / 1e15,
        "gpu_hours": gpu_seconds / 3600,
        "cpu_days": cpu_seconds / 86400,
        "stages": rows,
    }


# ---------------------------------------------------------------------------------------- evaluate, submission
def crop_to_budget(folder: Path, macs_per_pixel: float, rate: float, budget: float) -> list[str]:
    """Crop, in place, every image of ``folder`` (recursively) whose restoration is predicted to take
    longer than ``budget`` seconds at ``rate`` MACs/s to a centred crop that fits (sides multiples of
    16). A file shared by a hard link is replaced, never written through. Returns one line per crop."""
    import cv2
    import numpy as np

    notes = []
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        image = cv2.imdecode(np.fromfile(str(path), np.uint8), cv2.IMREAD_UNCHANGED)
        if image is None:
            continue
        h, w = image.shape[:2]
        seconds = macs_per_pixel * h * w / rate
        if seconds <= budget:
            continue
        side = max(16, int((budget * rate / macs_per_pixel) ** 0.5) // 16 * 16)
        ch, cw = min(h, side), min(w, side)
        y, x = (h - ch) // 2, (w - cw) // 2
        ok, data = cv2.imencode(path.suffix or ".png", image[y : y + ch, x : x + cw])
        if not ok:
            raise OSError(f"cannot encode the crop of {path}")
        path.unlink()
        path.write_bytes(data.tobytes())
        notes.append(
            f"{path.name}: the full {w} x {h} image is predicted at {seconds:.0f} s in dygraph here "
            f"({macs_per_pixel / 1e6:.2f} M MACs per pixel); evaluated on its centred {cw} x {ch} crop"
        )
    return notes


def run_submission(zip_path: Path, inputs: Path, work: Path) -> dict:
    """Unpack the submission into an empty folder and run its ``predict.py inputs out`` there, as
    the competition does; an error with its output when it fails or writes fewer images."""
    folder, out = work / "submission", work / "submission_out"
    for path in (folder, out):
        shutil.rmtree(path, ignore_errors=True)
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(folder)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "predict.py", str(inputs.resolve()), str(out.resolve())],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    wanted = sorted(p.name for p in inputs.rglob("*") if p.is_file())
    written = sorted(p.name for p in out.rglob("*") if p.is_file()) if out.is_dir() else []
    if done.returncode != 0 or written != wanted:
        raise RuntimeError(
            f"{zip_path}: predict.py exited {done.returncode} and wrote {written} for {wanted}:\n"
            + (done.stdout + done.stderr)[-2000:]
        )
    return {"seconds": seconds, "images": len(written), "zip_bytes": zip_path.stat().st_size}


# ---------------------------------------------------------------------------------------- one track
@contextlib.contextmanager
def random_weights_where_offline(notes: list):
    """check-full measures cost, not accuracy: where a network's pretrained weights (PaddleSeg's ImageNet
    ResNet50_vd, the perceptual loss's VGG-16; both options that the full profiles leave off, as the
    solutions ran) cannot be fetched, as offline here, the same networks start from random weights (same
    shapes, same cost), and ``notes`` says so."""
    from lib import losses
    from lib.models import deeplab

    build_backbone, vgg16_features = deeplab._build_backbone, losses.vgg16_features

    def backbone(name, in_channels, output_stride, multi_grid, pretrained=None):
        try:
            return build_backbone(name, in_channels, output_stride, multi_grid, pretrained)
        except deeplab.PretrainedWeightsError:
            notes.append(f"{name}: pretrained weights not reachable ({pretrained}); measured from random weights")
            return build_backbone(name, in_channels, output_stride, multi_grid, None)

    def vgg(pretrained=True, **kwargs):
        try:
            return vgg16_features(pretrained, **kwargs)
        except losses.PretrainedWeightsError:
            notes.append(
                f"perceptual VGG-16: ImageNet weights not reachable ({losses.VGG16_URL}); measured from random weights"
            )
            return vgg16_features(False, **kwargs)

    deeplab._build_backbone, losses.vgg16_features = backbone, vgg
    try:
        yield
    finally:
        deeplab._build_backbone, losses.vgg16_features = build_backbone, vgg16_features


def check_track(
    name: str,
    work,
    profile: str = "full",
    data_dir=None,
    *,
    step_budget: float = STEP_BUDGET_S,
    eval_budget: float = EVAL_BUDGET_S,
    memory_budget: float = MEMORY_BUDGET_GIB,
) -> dict:
    """Steps 1-4 of the module docstring for one track, in this process; returns its record."""
    import paddle

    from lib.tracks import get_track

    paddle.set_device("cpu")
    track = get_track(name)
    work = Path(work) / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    data_dir = Path(data_dir) if data_dir else work.parent / "generated"
    cfg = track.config(profile)
    record, started = {"track": name, "profile": profile, "notes": [], "seconds": {}}, time.perf_counter()

    def timed(label, fn):
        start = time.perf_counter()
        value = fn()
        record["seconds"][label] = time.perf_counter() - start
        print(f"[check-full {name}] {label}: {record['seconds'][label]:.1f} s", flush=True)
        return value

    check = full_check(name)
    root, prepared = timed("data", lambda: check.data(track, data_dir, work, profile))
    options, note = schedule_in_iterations(name, track.train_options(cfg))
    if note:
        record["notes"].append(note)
    last = len(options["stages"]) - 1
    measured, trainer = [], None
    for index in sorted({0, last}):
        result, trainer = timed(
            f"steps stage {index}",
            lambda i=index: measure_stage(
                track, profile, prepared, work, i, step_budget=step_budget, memory_budget=memory_budget
            ),
        )
        measured.append(result)
        if "note" in result:
            record["notes"].append(result["note"])
    record["parameters"] = {
        k: int(sum(int(p.numel()) for p in net.parameters())) for k, net in trainer.networks.items()
    }
    record["steps"] = measured
    record["cost"] = training_cost(options, measured)

    model = trainer.model
    model.eval()
    model.track = name
    evaluate_options, submission_options = check.extras(profile)
    inputs = track.test_inputs(root)
    if check.cost_scales_with_pixels and measured[0]["forward_macs_per_pixel"]:
        rate = measured[0]["cpu_gmac_per_s"] * 1e9 / 3  # forward only
        record["notes"] += crop_to_budget(inputs, measured[0]["forward_macs_per_pixel"], rate, eval_budget)
    evaluation = timed(
        "evaluate", lambda: track.evaluate(model, profile, data=root, out=work / "predictions", **evaluate_options)
    )
    if evaluation.get("ground_truth") is not False or not evaluation.get("restored") or evaluation.get("failed"):
        raise RuntimeError(f"{name}: evaluate on a board without ground truth gave {evaluation}")
    record["evaluate"] = {k: evaluation[k] for k in ("evaluated_on", "restored", "seconds_per_image")}
    zip_path = work / "submission.zip"
    timed("export", lambda: track.build_submission(model, zip_path, profile=profile, **submission_options))
    record["submission"] = timed("submission", lambda: run_submission(zip_path, Path(evaluation["inputs"]), work))
    record["peak_rss_gib"] = peak_rss() / GIB
    record["seconds"]["total"] = time.perf_counter() - started
    return record


# ---------------------------------------------------------------------------------------- report
def recost(report: dict) -> list[str]:
    """Recompute, in place, every track record's ``cost`` for its profile's schedule as the config gives it now,
    from the steps the record measured (their MACs per pixel and CPU rate do not depend on the schedule). Returns
    one line per track whose cost changed."""
    from lib.tracks import get_track

    lines = []
    for record in report["tracks"]:
        if "error" in record:
            continue
        track = get_track(record["track"])
        options, _ = schedule_in_iterations(track.name, track.train_options(track.config(record["profile"])))
        cost = training_cost(options, record["steps"])
        if cost != record["cost"]:
            lines.append(
                f"{record['track']}: {record['cost']['iterations']:,} -> {cost['iterations']:,} iterations, "
                f"{record['cost']['gpu_hours']:.0f} -> {cost['gpu_hours']:.0f} GPU hours (V100 est.)"
            )
            record["cost"] = cost
            record["cost_recomputed"] = "for the schedule of the config, from the steps measured before it changed"
    return lines


def table(records: list[dict]) -> str:
    """The per-track table of lab/bench/README.md (Markdown): one row per measured stage."""
    lines = [
        "| track | params | stage: batch x patch | s / step: wall (idle) | CPU GMAC/s (idle) | peak RSS GiB | "
        "iterations | GPU h (V100 est.) | wall s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        if "error" in r:
            lines.append(f"| {r['track']} | failed: {r['error']} |  |  |  |  |  |  |  |")
            continue
        params = " + ".join(f"{v / 1e6:.1f} M" for v in r["parameters"].values())
        for k, s in enumerate(r["steps"]):
            patch = "whole" if s["patch_size"] is None else s["patch_size"]
            scaled = "" if s["measured_batch"] == s["batch_size"] else f" (batch 1 x {s['batch_size']})"
            own = [r["track"], params] if k == 0 else ["", ""]
            total = (
                [
                    f"{r['peak_rss_gib']:.1f}",
                    str(r["cost"]["iterations"]),
                    f"{r['cost']['gpu_hours']:.0f}",
                    f"{r['seconds']['total']:.0f}",
                ]
                if k == 0
                else ["", "", "", ""]
            )
            cells = (
                own
                + [
                    f"{s['stage']}: {s['batch_size']} x {patch}",
                    f"{s['seconds_per_step']:.1f} ({s['idle_seconds_per_step']:.1f}){scaled}",
                    f"{s['cpu_gmac_per_s']:.1f}",
                ]
                + total
            )
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine() -> dict:
    import platform

    import paddle

    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "paddle": paddle.__version__,
        "load_average": list(os.getloadavg()),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.check_full", description=__doc__.split("\n\n")[0])
    parser.add_argument("tracks", nargs="*", help=f"default: {' '.join(DEFAULT_TRACKS)}")
    parser.add_argument("--profile", default="full", help="full (default); smoke runs the same path in seconds")
    parser.add_argument("--work", type=Path, default=None, help="work folder (default runs/check_full)")
    parser.add_argument("--json", type=Path, default=None, help="also write the records there")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (data, runs, zips)")
    parser.add_argument("--step-budget", type=float, default=STEP_BUDGET_S)
    parser.add_argument("--eval-budget", type=float, default=EVAL_BUDGET_S)
    parser.add_argument("--memory-budget", type=float, default=MEMORY_BUDGET_GIB)
    parser.add_argument(
        "--recost",
        type=Path,
        default=None,
        metavar="RECORD",
        help="measure nothing: recompute the cost in RECORD (e.g. lab/records/check_full.json) for today's schedules",
    )
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # the child: one track
    parser.add_argument("--result", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.recost:
        report = json.loads(args.recost.read_text(encoding="utf-8"))
        lines = recost(report)
        tmp = args.recost.with_suffix(".tmp")
        tmp.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, args.recost)
        print("\n".join(lines) or f"{args.recost}: every cost already follows today's schedules")
        return 0
    from lib.paths import RUNS_DIR

    work = args.work or RUNS_DIR / "check_full"
    budgets = {"step_budget": args.step_budget, "eval_budget": args.eval_budget, "memory_budget": args.memory_budget}
    names = args.tracks or list(DEFAULT_TRACKS)
    unknown = [n for n in names if n not in FULL_CHECKS]
    if unknown:
        parser.error(f"no full-size check for track(s) {unknown}; checked: {', '.join(FULL_CHECKS)}")
    if args.one:
        offline_notes = []
        with random_weights_where_offline(offline_notes):
            record = check_track(names[0], work, args.profile, **budgets)
        record["notes"] = list(dict.fromkeys(offline_notes)) + record["notes"]
        args.result.write_text(json.dumps(record, indent=2), encoding="utf-8")
        return 0
    records, started = [], time.perf_counter()
    info = machine()
    for name in names:
        result = work / f"{name}.json"
        result.parent.mkdir(parents=True, exist_ok=True)
        result.unlink(missing_ok=True)
        command = [
            sys.executable,
            "-m",
            "lab.check_full",
            name,
            "--one",
            "--result",
            str(result),
            "--profile",
            args.profile,
            "--work",
            str(work),
        ] + [f"--{k.replace('_', '-')}={v}" for k, v in budgets.items()]
        print(f"[check-full] {name} ({args.profile} profile) ...", flush=True)
        code = subprocess.run(command).returncode
        if code == 0 and result.is_file():
            record = json.loads(result.read_text(encoding="utf-8"))
            print(
                f"[check-full] {name}: peak RSS {record['peak_rss_gib']:.1f} GiB, "
                + ", ".join(
                    f"stage {s['stage']} {s['seconds_per_step']:.1f} s/step ({s['idle_seconds_per_step']:.1f} idle)"
                    for s in record["steps"]
                )
                + f", {record['cost']['gpu_hours']:.0f} GPU hours (V100 est.)"
                + "".join(f"\n    note: {n}" for n in record["notes"]),
                flush=True,
            )
        else:
            record = {"track": name, "error": f"exited {code} (its output above)"}
            print(f"[check-full] {name} FAILED (exit {code})", flush=True)
        records.append(record)
        if not args.keep:
            shutil.rmtree(work / name, ignore_errors=True)
        report = {
            "machine": {**info, "load_average_end": list(os.getloadavg())},
            "gpu": GPU,
            "budgets": budgets,
            "profile": args.profile,
            "command": "python -m lab.check_full " + " ".join(argv or sys.argv[1:]),
            "seconds": time.perf_counter() - started,
            "tracks": records,
        }
        if args.json:  # after every track: a long run that is stopped keeps what it measured
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if not args.keep:
        shutil.rmtree(work / "generated", ignore_errors=True)
    print("\n" + table(records))
    print(
        f"\nGPU hours: 3 x forward conv MACs x iterations x 2 FLOP / ({GPU['fp32_peak_flops'] / 1e12:g} TFLOP/s x "
        f"{GPU['efficiency']:g}), {GPU['name']}: {GPU['why']}. 'idle': the step's CPU time over the "
        f"{usable_cores()} usable cores, its wall time on this machine with nothing else running. "
        f"Total {report['seconds'] / 60:.1f} min."
    )
    if args.json:
        print(f"written: {args.json}")
    failed = [r["track"] for r in records if "error" in r]
    if failed:
        print(f"check-full FAILED for: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    import lib.quiet  # quiets Paddle for this command (lib/quiet.py); here, not above, so importing the module does not

    sys.exit(main())
