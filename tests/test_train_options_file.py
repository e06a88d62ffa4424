"""``python -m lib.train --options FILE``: a track trained from another options file, whose ``extensions`` section
names the modules that register what the options use (here a loss that only a probe module defines)."""

import sys

import pytest
import yaml

from lib.config import PROFILES, load_track_file
from lib.tracks import get_track
from lib.train.__main__ import with_options_file
from lib.train.registry import LOSSES, build_loss

PROBE = """
from lib.losses import L1Loss
from lib.train.registry import register_loss


class ProbeL1(L1Loss):
    pass


register_loss("probe_l1", ProbeL1)
"""


@pytest.fixture
def probe_module(tmp_path, monkeypatch):
    (tmp_path / "options_probe.py").write_text(PROBE)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "options_probe"
    sys.modules.pop("options_probe", None)
    LOSSES.pop("probe_l1", None)


def write_options(tmp_path, extensions) -> object:
    options = load_track_file("deblur")
    options["train"]["demo"]["phases"][0]["loss"] = "probe_l1"
    options["extensions"] = {profile: list(extensions) for profile in PROFILES}
    path = tmp_path / "options.yaml"
    path.write_text(yaml.safe_dump(options, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_the_options_file_and_its_extensions_are_used(tmp_path, probe_module):
    assert "probe_l1" not in LOSSES
    track = with_options_file(get_track("deblur"), write_options(tmp_path, [probe_module]), "demo")
    assert track.config("demo")["train"]["phases"][0]["loss"] == "probe_l1"
    assert type(build_loss("probe_l1")).__name__ == "ProbeL1"
    assert get_track("deblur").config_file is None  # the registered track is left as it was
    assert get_track("deblur").config("demo")["train"]["phases"][0]["loss"] == "l1"


def test_a_missing_extension_is_an_error_naming_it(tmp_path):
    with pytest.raises(ModuleNotFoundError, match="no_such_extension"):
        with_options_file(get_track("deblur"), write_options(tmp_path, ["no_such_extension"]), "demo")
