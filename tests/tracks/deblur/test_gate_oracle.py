"""lab/bench/bench_deblur_gate_oracle.py: the per-page switch and its threshold, on hand-made pages."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def gate():
    spec = importlib.util.spec_from_file_location(
        "bench_deblur_gate_oracle", ROOT / "lab" / "bench" / "bench_deblur_gate_oracle.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pages(model, blurred, width):
    return {"model": np.array(model, float), "blurred": np.array(blurred, float), "width": np.array(width, float)}


def test_switch_restores_only_pages_at_or_above_the_threshold(gate):
    p = pages([0.1, 0.5, 0.2], [0.3, 0.2, 0.6], [1.0, 2.0, 3.0])
    np.testing.assert_allclose(gate.switch_cer(p, 2.0), [0.3, 0.5, 0.2])
    np.testing.assert_allclose(gate.switch_cer(p, -np.inf), p["model"])
    np.testing.assert_allclose(gate.switch_cer(p, np.inf), p["blurred"])


def test_best_threshold_is_the_cut_a_page_by_page_brute_force_finds(gate):
    # the model spoils thin-stroke pages and helps thick ones: the best cut sits between them
    a = pages([0.4, 0.3, 0.1, 0.2], [0.1, 0.2, 0.5, 0.4], [1.0, 1.5, 3.0, 4.0])
    b = pages([0.5, 0.05], [0.2, 0.3], [1.2, 3.5])
    rows = [(m, bl, w) for p in (a, b) for m, bl, w in zip(p["model"], p["blurred"], p["width"])]
    cuts = [-np.inf, 1.0, 1.2, 1.5, 3.0, 3.5, 4.0, np.inf]
    mean_at = {c: sum(m if w >= c else bl for m, bl, w in rows) / len(rows) for c in cuts}
    assert gate.best_threshold([a, b]) == min(cuts, key=lambda c: (mean_at[c], c)) == 3.0


def test_an_unknown_method_names_the_benches(gate):
    with pytest.raises(ValueError, match="no method 'nope'"):
        gate.split_pages(gate.split_benches("shake_copies")["heldout"], "heldout", "nope")


def test_the_tag_picks_the_models_benches_beside_the_base_bench(gate):
    benches = gate.split_benches("copies_stroke_s1")
    assert benches["heldout_tilt"] == [
        "deblur_strokes_heldout_tilt30_shipped.json",
        "deblur_strokes_heldout_tilt30_copies_stroke_s1.json",
    ]
    assert all((gate.RESULTS / f).is_file() for files in benches.values() for f in files)
