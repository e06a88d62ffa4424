"""lab/bench/bench_deblur_strokes.py --models label=a+b: the mean of several models' restorations."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(ROOT / "lab" / "bench"))  # the bench imports record.py from beside it
    try:
        spec = importlib.util.spec_from_file_location(
            "bench_deblur_strokes", ROOT / "lab" / "bench" / "bench_deblur_strokes.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "lab" / "bench"))
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
    assert np.all(
        bench.ensemble_restorer([constant(0), constant(1)], predict=lambda net, x: net(x))(image) == 0
    )  # 0.5 rounds to even


def recorded_bench(tmp_path, pages, unsharp=None):
    """A recorded bench file: page_info and baseline OCR for the pages [(split, name)]."""
    splits = list(dict.fromkeys(s for s, _ in pages))

    def read(m):
        return {s: {"page_cer": [0.1] * sum(x == s for x, _ in pages), "who": m} for s in splits}

    result = {
        "page_info": [{"split": s, "page": n} for s, n in pages],
        "unsharp_params": unsharp or {"radius": 3.0, "amount": 1.0},
        "ocr": {m: read(m) for m in ("blurred input", "sharp (ground truth)", "unsharp mask", "some model + TLC")},
    }
    path = tmp_path / "bench.json"
    path.write_text(__import__("json").dumps(result))
    return path


def test_reused_baseline_ocr_takes_only_the_baselines_of_the_same_pages(bench, tmp_path):
    pages = [{"split": "heldout", "name": f"0000{i}.png"} for i in (1, 2, 3)]
    path = recorded_bench(tmp_path, [(p["split"], p["name"]) for p in pages])
    reused = bench.reused_baseline_ocr(path, pages, {"radius": 3.0, "amount": 1.0})
    assert sorted(reused) == sorted(bench.BASELINES) and reused[bench.BLURRED]["heldout"]["who"] == bench.BLURRED
    with pytest.raises(ValueError, match="bench.json: its pages are not this run's"):
        bench.reused_baseline_ocr(path, pages[::-1], {"radius": 3.0, "amount": 1.0})
    with pytest.raises(ValueError, match="bench.json: its pages are not this run's"):
        bench.reused_baseline_ocr(path, pages[:2], {"radius": 3.0, "amount": 1.0})
    with pytest.raises(ValueError, match="bench.json: unsharp parameters"):
        bench.reused_baseline_ocr(path, pages, {"radius": 2.0, "amount": 1.0})


def test_read_pages_does_not_read_a_reused_method_again(bench, monkeypatch):
    import lib.ocr

    read = []

    class Engine:
        def read(self, image):
            read.append(image)
            return "x"

    monkeypatch.setattr(lib.ocr, "OcrEngine", Engine)

    def confusions(engine, chosen, refs, top):
        read.extend(img for images in chosen.values() for img in images)
        return {s: {"cer": 0.5} for s in chosen}

    monkeypatch.setattr(bench, "ocr_confusions", confusions)
    pages = [{"split": "heldout", "text": "x", "blurred": "blurred page", "sharp": "sharp page"}]
    kept = {m: {"heldout": {"cer": 0.1}} for m in (bench.BLURRED, bench.SHARP)}
    ocr, _ = bench.read_pages(pages, ["heldout"], {"model": ["restored page"]}, 5, reused=kept)
    assert read == ["restored page"]  # only the model's page was read
    assert ocr[bench.BLURRED]["heldout"]["cer"] == 0.1 and ocr["model"]["heldout"]["cer"] == 0.5
    read.clear()
    ocr, _ = bench.read_pages(pages, ["heldout"], {"model": ["restored page"]}, 5)
    assert read == ["blurred page", "sharp page", "restored page"]
