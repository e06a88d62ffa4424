"""The real cost of the deblur ``full`` schedule, for notebook 00's first section: the GPU hours that
``make check-full`` estimated (lab/records/check_full.json, read by the caller) and an estimate of the GPU
memory of a training step at each stage's batch x patch.

The memory estimate counts what a training step must hold in float32: the weights, their gradients and
AdamW's two moments (4 x 4 bytes per parameter), plus the outputs of every leaf layer of one forward pass
(autograd keeps them for the backward pass), measured per pixel on a small input and scaled to the stage's
batch x patch^2. Element-wise intermediates inside a layer's forward (SimpleGate, the attention multiply)
are not layers and are not counted, nor the framework's workspace: it is an estimate, a lower bound, not a
GPU measurement.
"""

from __future__ import annotations

BYTES_PER_PARAMETER_ADAMW = 16  # float32 weight, gradient, AdamW m and v
GIB = 1024**3


def activation_bytes_per_pixel(model, side: int = 64) -> float:
    """Bytes of float32 leaf-layer outputs of one forward pass of ``model`` per input pixel (batch 1, a
    ``side`` x ``side`` input; NAFNet's activations grow with the pixels, so this scales to any patch)."""
    import paddle

    total = 0
    hooks = []

    def hook(layer, inputs, output):
        nonlocal total
        outs = output if isinstance(output, (list, tuple)) else [output]
        total += sum(int(o.numel()) * 4 for o in outs if isinstance(o, paddle.Tensor))

    for layer in model.sublayers():
        if not layer.sublayers():  # leaf layers only: a container's output is its last leaf's
            hooks.append(layer.register_forward_post_hook(hook))
    try:
        with paddle.no_grad():
            model(paddle.zeros([1, 3, side, side]))
    finally:
        for h in hooks:
            h.remove()
    return total / (side * side)


def training_memory_gib(model, stages, side: int = 64) -> list[dict]:
    """Per stage (``batch_size``, ``patch_size``): the estimated GPU memory of one training step, in GiB
    (module docstring: a lower bound)."""
    params = sum(int(p.numel()) for p in model.parameters())
    per_pixel = activation_bytes_per_pixel(model, side)
    state = params * BYTES_PER_PARAMETER_ADAMW
    rows = []
    for s in stages:
        activations = per_pixel * s["batch_size"] * s["patch_size"] ** 2
        rows.append(
            {
                "batch_size": s["batch_size"],
                "patch_size": s["patch_size"],
                "activations_gib": activations / GIB,
                "state_gib": state / GIB,
                "total_gib": (activations + state) / GIB,
            }
        )
    return rows


def full_cost_lines_zh(record: dict, gpu: dict, memory: list[dict]) -> list[str]:
    """Chinese lines: the estimated GPU hours of the whole ``full`` schedule (``record``: the track's row of
    check_full.json, ``gpu``: its assumed GPU) and the estimated GPU memory of the largest stage."""
    top = max(memory, key=lambda r: r["total_gib"])
    cost = record["cost"]
    return [
        f"- **GPU 时间（估算）**：{cost['iterations']:,} 次迭代共约 {cost['train_pmacs']:.0f} PMAC 训练运算量"
        f"（`make check-full` 在 CPU 上以 full 尺寸实测第一和最后阶段每步的运算量，其它阶段按每像素运算量折算），"
        f"按 {gpu['name']} 的 fp32 峰值 {gpu['fp32_peak_flops'] / 1e12:.1f} TFLOP/s × 假设利用率 {gpu['efficiency']} "
        f"折算约 **{cost['gpu_hours']:.0f} GPU 小时**；没有在 GPU 上实测。",
        f"- **GPU 显存（估算，下限）**：最大的一步是 batch {top['batch_size']} × {top['patch_size']} px："
        f"各层输出 {top['activations_gib']:.1f} GiB + 权重、梯度与 AdamW 状态 {top['state_gib']:.2f} GiB，"
        f"约 **{top['total_gib']:.1f} GiB**（只数了叶子层的输出，层内的逐元素中间结果与框架的工作区未计入，实际更多）。"
        f"`make check-full` 在 CPU 上的峰值内存 {record['peak_rss_gib']:.1f} GiB 是进程内存，不是显存。",
    ]
