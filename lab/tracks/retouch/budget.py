"""The retouching solution's deployment budget, measured: exported bytes, conv MACs, CPU milliseconds per
backend and a V100 estimate (notebook 08's budget section)."""

from __future__ import annotations

from pathlib import Path

from lab.check_full import GPU as _GPU
from lib.tracks.retouch.track import SIZE_LIMIT_BYTES

# The V100 of every GPU estimate in the course, from one place (lab.check_full.GPU, also behind the full
# schedule's GPU hours): fp32 peak 15.7 TFLOP/s x an assumed efficiency (stated, not measured: no GPU here).
V100_PEAK_FLOPS = _GPU["fp32_peak_flops"]
V100_EFFICIENCY = _GPU["efficiency"]
LATENCY_BUDGET_MS = 50.0  # the final round: over 50 ms per image (V100) scored zero on speed


def budget(model, size=(512, 512), repeats: int = 5, backends=("dygraph", "paddle", "onnx")) -> dict:
    """The solution's deployment budget for ``model``: exported bytes (Paddle Inference params, ONNX),
    conv MACs (lab.complexity) at ``size``, measured CPU ms per image per backend (median of
    ``repeats`` after a warm-up) and the V100 estimate 2 x MACs / (peak x efficiency)."""
    import tempfile
    import time

    import numpy as np

    from lab.complexity import conv_macs
    from lib.export import export_model
    from lib.infer import DygraphRunner, OnnxRunner, PaddleRunner

    model.eval()
    shape = (1, 3, int(size[0]), int(size[1]))
    macs = conv_macs(model, shape)
    result = {
        "size": list(size),
        "conv_macs": int(macs),
        "gflops": 2 * macs / 1e9,
        "cpu_ms": {},
        "limit_bytes": SIZE_LIMIT_BYTES,
        "v100_budget_ms": LATENCY_BUDGET_MS,
        "v100_efficiency_assumed": V100_EFFICIENCY,
    }
    x = np.random.default_rng(0).random(shape, dtype=np.float32)
    with tempfile.TemporaryDirectory(prefix="retouch_budget_") as tmp:
        info = export_model(model, tmp, onnx="onnx" in backends)
        result["paddle_bytes"] = Path(info["paddle"][1]).stat().st_size
        if "onnx" in info:
            result["onnx_bytes"] = Path(info["onnx"]).stat().st_size
        runners = {
            "dygraph": lambda: DygraphRunner(model),
            "paddle": lambda: PaddleRunner(Path(tmp) / "model", device="cpu"),
            "onnx": lambda: OnnxRunner(info["onnx"], device="cpu"),
        }
        for name in backends:
            run = runners[name]()
            run(x)  # warm-up
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                run(x)
                times.append(time.perf_counter() - start)
            result["cpu_ms"][name] = 1000 * float(np.median(times))
    result["v100_ms_estimate"] = 1000 * 2 * macs / (V100_PEAK_FLOPS * V100_EFFICIENCY)
    result["under_size_limit"] = bool(result["paddle_bytes"] < SIZE_LIMIT_BYTES)
    return result
