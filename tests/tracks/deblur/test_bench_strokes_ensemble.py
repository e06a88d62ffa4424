"""bench/bench_deblur_strokes.py --models label=a+b: the mean of several models' restorations."""
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(ROOT / "bench"))  # the bench imports record.py from beside it
    try:
        spec = importlib.util.spec_from_file_location("bench_deblur_strokes", ROOT / "bench" / "bench_deblur_strokes.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return module


def constant(value):
    """A stand-in model: restores every page to one grey level."""
    return lambda image: np.full_like(image, value)


def test_one_model_is_its_own_output(bench):
    image = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    restore = bench.ensemble_restorer([lambda x: 255 - x], predict=lambda net, x: net(x))
    np.testing.assert_array_equal(restore(image), 255 - image)


def test_several_models_average_and_round_to_uint8(bench):
    image = np.zeros((4, 4, 3), np.uint8)
    restore = bench.ensemble_restorer([constant(10), constant(13), constant(200)], predict=lambda net, x: net(x))
    out = restore(image)
    assert out.dtype == np.uint8 and out.shape == image.shape
    assert np.all(out == 74)  # (10 + 13 + 200) / 3 = 74.33
    assert np.all(bench.ensemble_restorer([constant(0), constant(1)], predict=lambda net, x: net(x))(image) == 0)  # 0.5 rounds to even
