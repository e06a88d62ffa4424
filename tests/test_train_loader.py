"""The engine's training data loader (lib.train.data): decoded samples kept in a cache bounded in
bytes, loader workers that give the inline batches, samples smaller than the patch refused or
padded, the loader: section of every track, and the global batch split over processes."""

import tracemalloc

import cv2
import numpy as np
import paddle
import pytest
from test_train_engine import make_pairs, tiny_options

from lib.config import ConfigError
from lib.train.data import DecodedCache, KeyedPatchDataset, make_loader, parse_bytes
from lib.train.engine import TrainData, Trainer, resolve_options
from lib.train.schedule import resolve_epochs

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture()
def data(tmp_path):
    pairs = make_pairs(tmp_path / "patches", n=6)
    val = [(p[0].stem, p[0], p[1]) for p in make_pairs(tmp_path / "val", n=1, size=176)]
    return TrainData(train=pairs[1:], all=pairs, val=val)


def weights(trainer):
    return {k: v.numpy().copy() for k, v in trainer.model.state_dict().items()}


def test_sizes_read_with_units():
    assert parse_bytes(1000) == 1000 and parse_bytes("0") == 0
    assert parse_bytes("512 MiB") == 512 * 2**20 and parse_bytes("2GiB") == 2 * 2**30
    assert parse_bytes("1.5 GB") == 1_500_000_000 and parse_bytes("64kb") == 64_000
    for bad in ("lots", -1, "5 TiB", True):
        with pytest.raises(ValueError, match="expected a size in bytes"):
            parse_bytes(bad)


def test_cache_keeps_the_most_recently_used_samples_within_its_bytes():
    def sample(nbytes):
        return (np.zeros(nbytes // 2, np.uint8), np.zeros(nbytes // 2, np.uint8))

    cache = DecodedCache(1000)
    for index in range(3):
        cache.put(index, sample(300))
    assert len(cache) == 3 and cache.nbytes == 900
    assert cache.get(0) is not None  # 0 is now the most recent, 1 the oldest
    cache.put(3, sample(300))  # 1200 > 1000: the oldest goes
    assert cache.get(1) is None and all(cache.get(i) is not None for i in (0, 2, 3)) and cache.nbytes == 900
    cache.put(4, sample(1002))  # larger than the whole budget: not kept, nothing evicted
    assert cache.get(4) is None and len(cache) == 3
    off = DecodedCache(0)
    off.put(0, sample(2))
    assert off.get(0) is None and off.nbytes == 0


def test_many_large_samples_train_in_memory_bounded_by_the_cache(tmp_path):
    """40 samples of 2 x 768 x 768 x 3 bytes (3.4 MiB decoded each, 135 MiB in all) through a
    16 MiB cache: the Python heap's peak (tracemalloc counts NumPy's and OpenCV's arrays) stays
    under the cache plus three samples in flight. The old cache kept every sample it decoded: here
    over 28 of them, more than three times that bound."""
    side, n, cache_bytes, keys = 768, 40, 16 * 2**20, 60
    y, x = np.mgrid[0:side, 0:side]
    page = np.dstack([x * 255 // side, y * 255 // side, (x + y) * 127 // side]).astype(np.uint8)
    paths = tmp_path / "blur.png", tmp_path / "gt.png"
    cv2.imwrite(str(paths[0]), cv2.GaussianBlur(page, (5, 5), 1.5))
    cv2.imwrite(str(paths[1]), page)
    sample_bytes = 2 * side * side * 3
    dataset = KeyedPatchDataset([paths] * n, 64, seed=0, cache_bytes=cache_bytes)  # each entry its own sample
    tracemalloc.start()
    try:
        for key in range(keys):
            dataset[key]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    bound = cache_bytes + 3 * sample_bytes
    assert dataset.cache.nbytes <= cache_bytes
    assert peak < bound, f"peak {peak / 2**20:.0f} MiB over the bound {bound / 2**20:.0f} MiB"
    touched = {int(np.random.default_rng([0, key]).integers(n)) for key in range(keys)}  # as __getitem__ draws
    assert len(touched) * sample_bytes > 3 * bound  # what an unbounded cache would have kept


def test_workers_give_the_inline_batches_and_name_a_failing_file(data, tmp_path):
    """The same keys, the same patches: a loader with two worker processes yields exactly the
    inline batches; two ranks' halves of a global batch are one process's batch; a sample that
    fails in a worker is raised with its own error, naming the file (Paddle's loader would raise a
    SystemError naming nothing)."""
    dataset = KeyedPatchDataset(data.train, 16, seed=3)
    inline = list(make_loader(dataset, 5, 9, batch_size=4))
    workers = list(make_loader(dataset, 5, 9, batch_size=4, num_workers=2))
    halves = [list(make_loader(dataset, 5, 9, batch_size=4, rank=r, world_size=2)) for r in (0, 1)]
    assert len(inline) == len(workers) == 4
    for i, (mine, theirs) in enumerate(zip(inline, workers, strict=True)):
        for a, b, *parts in zip(mine, theirs, *(h[i] for h in halves), strict=True):
            assert tuple(a.shape) == (4, 3, 16, 16) and a.dtype == b.dtype
            np.testing.assert_array_equal(a.numpy(), b.numpy())
            assert [tuple(p.shape) for p in parts] == [(2, 3, 16, 16)] * 2
            np.testing.assert_array_equal(np.concatenate([p.numpy() for p in parts]), a.numpy())
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    bad = KeyedPatchDataset([*data.train, (broken, broken)], 16, seed=3)
    with pytest.raises(Exception, match="broken.png: cannot decode"):
        list(make_loader(bad, 0, 6, batch_size=4, num_workers=2))


@pytest.mark.slow
def test_a_run_with_loader_workers_trains_exactly_as_one_without(data, tmp_path):
    inline = Trainer(tiny_options(iters=(3, 2)), data, tmp_path / "inline", quiet=True)
    inline.fit()
    options = tiny_options(iters=(3, 2), loader={"num_workers": 2, "cache_bytes": "8 MiB"})
    workers = Trainer(options, data, tmp_path / "workers", quiet=True)
    assert workers.opts["loader"] == {"num_workers": 2, "cache_bytes": 8 * 2**20, "small_samples": "error"}
    workers.fit()
    for key, value in weights(inline).items():
        np.testing.assert_array_equal(weights(workers)[key], value, err_msg=key)


def test_samples_smaller_than_the_patch_are_refused_by_name_or_mirror_padded(data, tmp_path, capsys):
    rng = np.random.default_rng(4)
    small = rng.integers(0, 256, (20, 26, 3), dtype=np.uint8)
    paths = tmp_path / "small_blur.png", tmp_path / "small_gt.png"
    for path in paths:
        cv2.imwrite(str(path), small[:, :, ::-1])
    with_small = TrainData(train=[*data.train, paths], all=[*data.all, paths], val=data.val)
    # error (the default): before training, naming the file, its size, the patch and the way out
    with pytest.raises(
        ValueError, match=r"patch size 32 is larger than .*small_blur\.png \(20x26\).*small_samples: pad"
    ):
        Trainer(tiny_options(), with_small, tmp_path / "refused")
    # pad: reported, then trained on
    padded = Trainer(
        tiny_options(iters=(2, 2), loader={"small_samples": "pad"}), with_small, tmp_path / "pad", quiet=True
    )
    assert "1 of 7 training samples are smaller than the patch size 32" in capsys.readouterr().out
    padded.fit()
    # the patch of the small sample: mirrored at the bottom and right (OpenCV's BORDER_REFLECT, fedcba|abcdef)
    no_augment = {"flip": False, "rotate": False, "vflip": False}
    patch, _ = KeyedPatchDataset([paths], 32, augment=no_augment)[7]
    reference = cv2.copyMakeBorder(small, 0, 32 - 20, 0, 32 - 26, cv2.BORDER_REFLECT)
    np.testing.assert_array_equal(np.round(patch * 255).astype(np.uint8), reference.transpose(2, 0, 1))


def test_bad_loader_options_are_errors_before_training():
    with pytest.raises(ConfigError, match=r"'loader'.*\['workers'\]"):
        resolve_options(tiny_options(loader={"workers": 2}))
    with pytest.raises(ValueError, match="small_samples must be one of error, pad, got 'crop'"):
        resolve_options(tiny_options(loader={"small_samples": "crop"}))
    with pytest.raises(ValueError, match="num_workers must be an integer >= 0"):
        resolve_options(tiny_options(loader={"num_workers": -1}))
    with pytest.raises(ValueError, match="cache_bytes: expected a size in bytes"):
        resolve_options(tiny_options(loader={"cache_bytes": "a lot"}))


@pytest.mark.parametrize("track_name", ["deblur", "sdwnet", "denoise", "retouch", "deocclusion", "deocclusion_seg"])
def test_every_track_gives_its_loader_options_per_profile(track_name):
    """Each track's loader: section (the segmenter's seg_loader:) reaches the engine: no workers in
    smoke and demo (batches built inline, as the regression runs were recorded), workers in full,
    and a cache small enough that even four workers of a full run stay within a few GiB."""
    from lib.tracks import get_track

    track = get_track(track_name)
    for profile in ("smoke", "demo", "full"):
        cfg = track.config(profile)
        options = track.train_options(cfg)
        assert options["loader"] == cfg[track.loader_section]
        # a schedule in epochs (denoise, sdwnet full) becomes iterations once the data is counted
        loader = resolve_options(resolve_epochs(options, 1000), track.task)["loader"]
        assert (loader["num_workers"] > 0) == (profile == "full")
        assert 0 < loader["cache_bytes"] * max(1, loader["num_workers"]) <= 4 * 2**30
    assert track.loader_section == ("seg_loader" if track_name == "deocclusion_seg" else "loader")


def test_a_global_batch_that_the_processes_cannot_share_is_an_error(monkeypatch, data, tmp_path):
    """deblur's full batches [8, 5, 4, 2, 1, 1] (once per run) are the solution's on one GPU: two processes cannot
    split 5 without changing the recipe, so the run stops before anything is built or read."""
    from lib.tracks import get_track

    track = get_track("deblur")
    monkeypatch.setattr(paddle.distributed, "get_world_size", lambda: 2)
    options = track.train_options(track.config("full"))
    with pytest.raises(
        ValueError,
        match=r"stages\[1\]: batch_size 5 is the global batch and cannot be split "
        r"evenly over 2 processes.*\[8, 5, 4, 2, 1, 1, 8, 5, 4, 2, 1, 1, 8, 5, 4, 2, 1, 1\]",
    ):
        Trainer(options, TrainData(train=[], all=[], val=[]), tmp_path / "never")


@pytest.mark.parametrize("track_name, per_process", [("deblur", [8, 6, 4]), ("sdwnet", [4])])
def test_the_two_process_demos_draw_the_patches_of_their_per_process_batches(track_name, per_process):
    """deblur and sdwnet demo train in two processes; their global batches are twice the
    per-process batches the shipped models trained with, so every rank draws the keys it drew then
    (rank r of iteration i: i * 2b + r * b onwards, b keys)."""
    from lib.tracks import get_track
    from lib.train.data import IterationBatchSampler
    from lib.train.launch import default_nproc

    assert default_nproc(track_name, "demo") == 2
    stages = get_track(track_name).config("demo")["train"]["stages"]
    assert [s["batch_size"] for s in stages] == [2 * b for b in per_process]
    start = 0
    for stage, b in zip(stages, per_process):
        for rank in (0, 1):
            drawn = list(IterationBatchSampler(start, start + 5, stage["batch_size"], rank, 2))
            assert drawn == [
                list(range(i * 2 * b + rank * b, i * 2 * b + rank * b + b)) for i in range(start, start + 5)
            ]
        start += stage["iters"]
