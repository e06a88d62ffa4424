"""CPU forward time of the competition NAFNet (width 32, enc [1,1,1,10], 8,702,307 parameters).

Measures, on one N x 3 x S x S input (default 1 x 3 x 1024 x 1024, one of the winner's 4 tiles
of a 2K image), the median of ``--repeats`` no-grad forwards after ``--warmup`` ones:
  * dygraph (eager) Paddle;
  * ``paddle.jit.to_static`` (the same model traced to a static program);
  * TLC (lib.models.tlc) with the winner's factor 2.5 (``--tlc-factors 2.5 1.5`` adds the paper's
    1.5) at training size 256, as a ratio to plain dygraph inference;
  * for reference, the model saved with ``paddle.jit.save`` and run by Paddle Inference with
    oneDNN (``--no-inference`` skips it), the CPU deployment path.
Weights are random: the time does not depend on them. Results go to lab/bench/results/deblur_nafnet.json.

    .venv/bin/python lab/bench/bench_deblur_nafnet.py            # about 10 minutes on 2 cores
    .venv/bin/python lab/bench/bench_deblur_nafnet.py --size 256 --repeats 2   # quick look
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import copy
import os
from pathlib import Path

import paddle
from harness import bench_name, run  # lab/bench/harness.py, beside this script

from lab.complexity import measure_latency, scaled_conv_macs
from lib.models.nafnet import count_parameters, nafnet_from_config
from lib.models.tlc import to_tlc

RESULTS = Path(__file__).resolve().parent / "results" / "deblur_nafnet.json"


def onednn_predictor(model, shape):
    """Save ``model`` for a fixed input shape and return a callable running Paddle Inference
    with oneDNN on the usable cores (the path a CPU deployment would take)."""
    import tempfile

    from paddle import inference
    from paddle.static import InputSpec

    folder = tempfile.mkdtemp(prefix="bench_nafnet_")
    prefix = os.path.join(folder, "model")
    paddle.jit.save(copy.deepcopy(model), prefix, input_spec=[InputSpec(list(shape), "float32", "x")])
    graph = prefix + (".json" if os.path.exists(prefix + ".json") else ".pdmodel")
    config = inference.Config(graph, prefix + ".pdiparams")
    config.disable_gpu()
    config.enable_mkldnn()
    config.set_cpu_math_library_num_threads(
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    )
    config.disable_glog_info()
    predictor = inference.create_predictor(config)
    x_handle = predictor.get_input_handle(predictor.get_input_names()[0])
    y_handle = predictor.get_output_handle(predictor.get_output_names()[0])

    def forward(x):
        x_handle.copy_from_cpu(x.numpy())
        predictor.run()
        return paddle.to_tensor(y_handle.copy_to_cpu()[:, :, :1, :1])

    return forward


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024, help="input side (square), default 1024")
    parser.add_argument("--repeats", type=int, default=3, help="timed forwards per variant")
    parser.add_argument("--warmup", type=int, default=1, help="untimed forwards first")
    parser.add_argument("--train-size", type=int, default=256, help="TLC training patch size")
    parser.add_argument("--tlc-factors", type=float, nargs="+", default=[2.5], help="TLC window factors")
    parser.add_argument("--no-inference", action="store_true", help="skip Paddle Inference + oneDNN")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON to write")
    args = parser.parse_args(argv)
    if args.size < 16 or args.repeats < 1 or args.warmup < 0:
        parser.error("--size must be >= 16, --repeats >= 1, --warmup >= 0")
    result = run(bench_name(__file__), lambda: measure_variants(args), args.out, argv)
    print(
        f"to_static speed-up x{result['to_static_speedup']:.2f}; TLC overhead "
        + ", ".join(f"{k}: x{v:.2f}" for k, v in result["tlc_overhead_ratio"].items())
        + f"; {result['machine']['usable_cores']} cores; written {args.out}"
    )
    return result


def measure_variants(args) -> dict:
    """The figures: median forward time of each variant on one square input."""
    paddle.seed(0)
    model = nafnet_from_config("competition")
    model.eval()
    shape = (1, 3, args.size, args.size)

    def timed(name, fn):
        result = measure_latency(fn, shape, repeats=args.repeats, warmup=args.warmup)
        print(
            f"{name:<28} median {result['median_s']:.3f} s  (runs: {', '.join(f'{t:.3f}' for t in result['times_s'])})",
            flush=True,
        )
        return result

    gmacs = scaled_conv_macs(model, (args.size, args.size)) / 1e9
    timings = {"dygraph": timed("dygraph", model)}
    train_shape = (1, 3, args.train_size, args.train_size)
    for factor in args.tlc_factors:
        tlc_model = to_tlc(model, train_size=train_shape, factor=factor)
        timings[f"tlc_{factor}"] = timed(f"dygraph + TLC x{factor}", tlc_model)
    # to_static converts the layer it is given: give it a copy.
    static_model = paddle.jit.to_static(copy.deepcopy(model), full_graph=True)
    timings["to_static"] = timed("paddle.jit.to_static", static_model)
    if not args.no_inference:
        timings["paddle_inference_onednn"] = timed("Paddle Inference + oneDNN", onednn_predictor(model, shape))

    base = timings["dygraph"]["median_s"]
    return {
        "model": "NAFNet competition config (width 32, enc [1,1,1,10], middle 1, dec [1,1,1,1])",
        "parameters": count_parameters(model),
        "conv_gmacs": gmacs,
        "input_shape": list(shape),
        "repeats": args.repeats,
        "warmup": args.warmup,
        "tlc_train_size": args.train_size,
        "timings": {k: {"median_s": v["median_s"], "times_s": v["times_s"]} for k, v in timings.items()},
        "to_static_speedup": base / timings["to_static"]["median_s"],
        "tlc_overhead_ratio": {k: v["median_s"] / base for k, v in timings.items() if k.startswith("tlc")},
        "speedup_vs_dygraph": {k: base / v["median_s"] for k, v in timings.items() if k != "dygraph"},
    }


if __name__ == "__main__":
    main()
