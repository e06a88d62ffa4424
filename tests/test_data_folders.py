"""lib.data.folders.ensure_dataset, the one "generate the sample data if missing" of every track,
on a toy generator that records its calls: generated once, then returned at once while the manifest
matches; regenerated for another seed or with force; a real download ($COURSE_DATA) returned
untouched; the workers default; a foreign folder never replaced."""

import json

import pytest

from lib.data.folders import MANIFEST, SampleData, build_atomically, ensure_dataset
from lib.data.pairs import DataError
from lib.paths import DATA_ENV


class Toy:
    """A generator of one text file whose content is its parameters; every call is recorded."""

    def __init__(self, defaults=None):
        self.defaults = defaults or {"n": 2}
        self.calls = []

    def options(self, profile, overrides):
        self.calls.append(("options", profile, overrides))
        return {**self.defaults, **(overrides or {})}

    def params(self, profile, seed, opts, resource):
        return {"generator": "toy", "profile": profile, "seed": seed, "options": opts, "resource": resource}

    def generate(self, root, profile, seed, opts, resource, workers):
        self.calls.append(("generate", seed, resource, workers))

        def build(tmp):
            (tmp / "data.txt").write_text(f"{profile} {seed} {json.dumps(opts)}", encoding="utf-8")
            return {**self.params(profile, seed, opts, resource), "files": {"data.txt": "-"}}

        return build_atomically(root, build)

    def resources(self, opts):
        self.calls.append(("resources",))
        return ("font-list",)

    def sample_data(self):
        return SampleData(
            "toy", "toy/ of a download", self.options, self.params, self.generate, resources=self.resources
        )

    def generated(self):
        return [c for c in self.calls if c[0] == "generate"]


def test_generated_once_then_returned_while_the_manifest_matches(tmp_path, monkeypatch):
    monkeypatch.delenv(DATA_ENV, raising=False)
    toy = Toy()
    root = ensure_dataset(toy.sample_data(), "smoke", tmp_path / "set", seed=3, workers=1)
    assert root == (tmp_path / "set").resolve()
    assert (root / "data.txt").read_text(encoding="utf-8") == 'smoke 3 {"n": 2}'
    assert json.loads((root / MANIFEST).read_text(encoding="utf-8"))["resource"] == "font-list"
    assert toy.generated() == [("generate", 3, "font-list", 1)]
    assert toy.calls.count(("resources",)) == 1  # found once, shared by params and generate

    assert ensure_dataset(toy.sample_data(), "smoke", tmp_path / "set", seed=3, workers=1) == root
    assert len(toy.generated()) == 1  # up to date: nothing written
    ensure_dataset(toy.sample_data(), "smoke", tmp_path / "set", seed=4, workers=1)
    ensure_dataset(toy.sample_data(), "smoke", tmp_path / "set", seed=4, workers=1, options={"n": 5})
    ensure_dataset(toy.sample_data(), "smoke", tmp_path / "set", seed=4, workers=1, options={"n": 5}, force=True)
    assert [c[1] for c in toy.generated()] == [3, 4, 4, 4]
    assert (root / "data.txt").read_text(encoding="utf-8") == 'smoke 4 {"n": 5}'


def test_a_real_download_is_returned_as_it_is(tmp_path, monkeypatch):
    real = tmp_path / "download"
    real.mkdir()
    monkeypatch.setenv(DATA_ENV, str(real))
    toy = Toy()
    assert ensure_dataset(toy.sample_data(), "smoke") == real
    assert toy.calls == []  # neither options read nor anything generated
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "missing"))
    with pytest.raises(DataError, match="toy/ of a download"):
        ensure_dataset(toy.sample_data(), "smoke")
    # an explicit root is the generated set even with $COURSE_DATA set
    assert ensure_dataset(toy.sample_data(), "smoke", tmp_path / "own", workers=1) == (tmp_path / "own").resolve()


@pytest.mark.parametrize("given, in_options, expected", [(3, None, 3), (None, 5, 5), (3, 5, 3), (None, None, 7)])
def test_workers_default_to_the_options_then_the_cores(tmp_path, monkeypatch, given, in_options, expected):
    monkeypatch.delenv(DATA_ENV, raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 7)
    toy = Toy({"n": 1} if in_options is None else {"n": 1, "workers": in_options})
    ensure_dataset(toy.sample_data(), "smoke", tmp_path / "set", workers=given)
    assert toy.generated()[0][3] == expected


def test_a_folder_it_did_not_write_is_never_replaced(tmp_path, monkeypatch):
    monkeypatch.delenv(DATA_ENV, raising=False)
    foreign = tmp_path / "set"
    foreign.mkdir()
    (foreign / "photo.jpg").write_bytes(b"not ours")
    toy = Toy()
    with pytest.raises(DataError, match="refusing to replace it"):
        ensure_dataset(toy.sample_data(), "smoke", foreign, workers=1)
    assert toy.generated() == [] and (foreign / "photo.jpg").read_bytes() == b"not ours"
