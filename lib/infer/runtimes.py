"""The exported models' runners: Paddle Inference (oneDNN on a CPU, the GPU when there is one) and
ONNX Runtime, each mapping a float32 N x 3 x H x W array in [0, 1] to the same shape.

Standalone (see :mod:`lib.infer`): each submission zip carries this file as ``infer/runtimes.py``.
"""

from __future__ import annotations

import os

import numpy as np

from .errors import ModelError, first_line


def _usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class PaddleRunner:
    """Paddle Inference predictor of ``<prefix>.json`` + ``<prefix>.pdiparams`` (Paddle 3's PIR
    program), else ``<prefix>_legacy.pdmodel`` + ``<prefix>_legacy.pdiparams`` or ``<prefix>.pdmodel``
    + ``<prefix>.pdiparams`` (the program before PIR, which Paddle 2 reads): the first pair this
    Paddle loads. Raises :class:`ModelError` naming each file it tried and why it failed.

    ``device``: "gpu" (CUDA build and a visible GPU), "cpu" (oneDNN, all usable cores) or
    "auto" (the GPU when there is one). oneDNN caches kernels per input shape; the cache is
    capped so a folder of differently sized images does not grow memory without bound.
    """

    def __init__(self, prefix, device: str = "auto", threads: int | None = None, onednn: bool = True):
        paddle = _import_paddle()
        prefix = str(prefix)
        pairs = [
            (graph, params)
            for graph, params in (
                (prefix + ".json", prefix + ".pdiparams"),
                (prefix + "_legacy.pdmodel", prefix + "_legacy.pdiparams"),
                (prefix + ".pdmodel", prefix + ".pdiparams"),
            )
            if os.path.exists(graph) and os.path.exists(params)
        ]
        if not pairs:
            raise FileNotFoundError(
                f"Paddle inference model not found: {prefix}.json (or .pdmodel) and {prefix}.pdiparams"
            )
        use_gpu = (
            device in ("gpu", "auto")
            and paddle.device.is_compiled_with_cuda()
            and paddle.device.cuda.device_count() > 0
        )
        if device == "gpu" and not use_gpu:
            raise RuntimeError("device 'gpu' asked for, but this Paddle has no usable GPU")
        self.device = "gpu" if use_gpu else ("cpu+onednn" if onednn else "cpu")
        major = paddle.__version__.split(".")[0]
        errors = []
        for graph, params in pairs:
            if graph.endswith(".json") and major.isdigit() and 0 < int(major) < 3:
                errors.append(f"{graph}: Paddle {paddle.__version__} reads no .json program (Paddle 3 wrote it)")
                continue
            try:
                self.predictor = paddle.inference.create_predictor(
                    self._config(paddle.inference, graph, params, use_gpu, onednn, threads)
                )
            except Exception as exc:  # noqa: BLE001 -- the next pair may load; all reasons are reported
                errors.append(f"{graph} + {params}: {first_line(exc)}")
                continue
            self.files = (graph, params)
            break
        else:
            raise ModelError("Paddle Inference cannot load " + "; nor ".join(errors))
        self._input = self.predictor.get_input_handle(self.predictor.get_input_names()[0])
        self._output = self.predictor.get_output_handle(self.predictor.get_output_names()[0])

    @staticmethod
    def _config(inference, graph, params, use_gpu, onednn, threads):
        config = inference.Config(graph, params)
        if use_gpu:
            config.enable_use_gpu(1024, 0)
        else:
            config.disable_gpu()
            if onednn:
                config.enable_mkldnn()
                config.set_mkldnn_cache_capacity(8)
            else:  # Paddle 3's CPU build turns oneDNN on by itself
                config.disable_mkldnn()
            config.set_cpu_math_library_num_threads(threads or _usable_cores())
        config.disable_glog_info()
        return config

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        self._input.reshape(list(batch.shape))
        self._input.copy_from_cpu(batch)
        self.predictor.run()
        return self._output.copy_to_cpu()


class OnnxRunner:
    """ONNX Runtime session of ``model.onnx`` (CUDA provider first when installed). Raises
    :class:`ModelError` naming the file if ONNX Runtime cannot load it.

    ``release_memory`` (a class setting, off: predict.py holds one model): a process that holds
    several models (the course's web app) sets it, and each run shrinks ONNX Runtime's memory arena
    back, which otherwise keeps the largest tile's activations (measured: ~1 GB per model after a
    1-megapixel page, at about the same speed; no arena at all was 3x slower)."""

    release_memory = False

    def __init__(self, path, device: str = "auto", threads: int | None = None):
        import onnxruntime as ort

        if not os.path.exists(path):
            raise FileNotFoundError(f"ONNX model not found: {path}")
        available = ort.get_available_providers()
        providers = ["CPUExecutionProvider"]
        if device in ("gpu", "auto") and "CUDAExecutionProvider" in available:
            providers.insert(0, "CUDAExecutionProvider")
        elif device == "gpu":
            raise RuntimeError(f"device 'gpu' asked for, but ONNX Runtime offers only {available}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or _usable_cores()
        options.log_severity_level = 3  # errors only
        # The memory pattern is a per-shape allocation plan; with tiles it held a second copy of
        # every activation, raising the peak memory on a large page (lab/bench/README.md).
        options.enable_mem_pattern = False
        try:
            self.session = ort.InferenceSession(str(path), options, providers=providers)
        except Exception as exc:
            raise ModelError(f"ONNX Runtime cannot load {path}: {first_line(exc)}") from exc
        self.device = "gpu" if providers[0].startswith("CUDA") else "cpu"
        self._input = self.session.get_inputs()[0].name
        self._shrink = ort.RunOptions()
        self._shrink.add_run_config_entry(
            "memory.enable_memory_arena_shrinkage", "cpu:0;gpu:0" if self.device == "gpu" else "cpu:0"
        )

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        feed = {self._input: np.ascontiguousarray(batch, dtype=np.float32)}
        return self.session.run(None, feed, self._shrink if self.release_memory else None)[0]


def _import_paddle():
    import warnings

    with warnings.catch_warnings():  # "No ccache found" at import: irrelevant to inference
        warnings.simplefilter("ignore", UserWarning)
        import paddle
        from paddle import inference  # noqa: F401  (loads paddle.inference, or fails here; the name is unused)
    return paddle


def paddle_gpu_available() -> bool:
    """Paddle is installed, built with CUDA, and sees a GPU."""
    try:
        paddle = _import_paddle()
    except ImportError:
        return False
    try:
        return bool(paddle.device.is_compiled_with_cuda() and paddle.device.cuda.device_count() > 0)
    except Exception:  # noqa: BLE001 -- a CUDA build without a usable driver
        return False


def onnxruntime_available() -> bool:
    try:
        import onnxruntime  # noqa: F401  (only checks that it imports)
    except ImportError:
        return False
    return True
