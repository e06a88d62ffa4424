"""The ONNX format: the Paddle inference model converted by paddle2onnx, run by ONNX Runtime.

paddle2onnx 2.1.0 writes the fill value of constant-mode ``Pad`` nodes from uninitialised memory
(seen: 4e27 instead of 0, varying from run to run; NAFNet's padding sits in an If branch), which
turns the outputs of sizes that are not multiples of 16 into NaN or garbage. Every constant ``Pad``
of the course's models pads with zeros (``F.pad`` default), so the value input is dropped after
export (ONNX's default is 0). Its default optimiser, polygraphy, pip-installs onnx-graphsurgeon at
export time when it is missing (it once upgraded NumPy to 2 in this venv; requirements.txt now pins
it): export here does not use it at all, ONNX Runtime optimises the graph when it loads it.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from pathlib import Path

ONNX_OPSET = 13


def _drop_constant_pad_values(graph) -> int:
    """Remove the value input of constant-mode Pad nodes (ONNX default: 0) in ``graph`` and in the
    branches of its If/Loop nodes (NAFNet's padding sits in an If: pad only when needed);
    returns how many."""
    fixed = 0
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.type == attribute.GRAPH:
                fixed += _drop_constant_pad_values(attribute.g)
            elif attribute.type == attribute.GRAPHS:
                fixed += sum(_drop_constant_pad_values(g) for g in attribute.graphs)
        if node.op_type != "Pad" or len(node.input) < 3:
            continue
        mode = next((a.s.decode() for a in node.attribute if a.name == "mode"), "constant")
        if mode == "constant" and node.input[2]:
            del node.input[2]
            fixed += 1
    return fixed


@contextlib.contextmanager
def _held_output():
    """Hold what paddle2onnx prints while it converts (its C++ half writes progress lines straight to the
    process's stdout, its Python half ``[INFO]`` lines with temporary paths): a learner reads only the
    course's own lines. Yields a function returning the held text, for the error when conversion fails."""
    held_py = io.StringIO()
    sys.stdout.flush()
    with tempfile.TemporaryFile(mode="w+b") as held_fd:
        saved = os.dup(1)
        try:
            os.dup2(held_fd.fileno(), 1)
            with contextlib.redirect_stdout(held_py):
                yield lambda: held_py.getvalue() + (held_fd.seek(0) or held_fd.read().decode(errors="replace"))
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def export_onnx(prefix, onnx_path, opset: int = ONNX_OPSET) -> Path:
    """Convert the Paddle inference model at ``prefix`` to ONNX with paddle2onnx; returns the path.

    No optimiser runs at export (ONNX Runtime optimises the graph when it loads it), so
    paddle2onnx never tries to pip-install anything.
    """
    import onnx
    import paddle2onnx

    prefix, onnx_path = Path(prefix), Path(onnx_path)
    graph = prefix.with_suffix(".json") if prefix.with_suffix(".json").exists() else prefix.with_suffix(".pdmodel")
    raw = onnx_path.with_name(onnx_path.name + ".raw")
    with _held_output() as held:
        try:
            paddle2onnx.export(
                str(graph),
                str(prefix.with_suffix(".pdiparams")),
                save_file=str(raw),
                opset_version=opset,
                enable_onnx_checker=True,
                optimize_tool="none",
            )
        except SystemExit:  # paddle2onnx ends the process (sys.exit) on a graph it cannot read
            pass
        log = held()
    if not raw.exists():  # paddle2onnx logs conversion errors instead of raising them
        raise RuntimeError(f"paddle2onnx did not convert {graph}; its log:\n{log[-3000:]}")
    model = onnx.load(str(raw))
    _drop_constant_pad_values(model.graph)
    onnx.checker.check_model(model)
    tmp = onnx_path.with_name(onnx_path.name + ".tmp")
    onnx.save(model, str(tmp))
    os.replace(tmp, onnx_path)
    raw.unlink()
    return onnx_path
