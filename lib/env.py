"""What this machine offers: Paddle's version, the device to use, CPU cores."""

from __future__ import annotations

import os
import platform


def select_device(prefer: str = "gpu") -> str:
    """Use the GPU when Paddle was built with CUDA and sees one, else fall back to the CPU.

    Returns the device string that was set (``"gpu:0"`` or ``"cpu"``).
    """
    import paddle

    if prefer.startswith("gpu") and paddle.device.is_compiled_with_cuda():
        try:
            if paddle.device.cuda.device_count() > 0:
                paddle.set_device("gpu:0")
                return "gpu:0"
        except Exception as exc:  # noqa: BLE001 -- a CUDA build on a machine without a usable driver
            print(f"GPU not usable ({exc}); falling back to CPU")
    paddle.set_device("cpu")
    return "cpu"


def describe_environment() -> dict:
    """Versions and hardware, for the first cell of the course."""
    import cv2
    import numpy
    import paddle
    import skimage

    return {
        "python": platform.python_version(),
        "paddle": paddle.__version__,
        "compiled_with_cuda": bool(paddle.device.is_compiled_with_cuda()),
        "cpu_cores": os.cpu_count(),
        "numpy": numpy.__version__,
        "opencv": cv2.__version__,
        "scikit-image": skimage.__version__,
        "profile": os.environ.get("COURSE_PROFILE", "demo (default)"),
    }
