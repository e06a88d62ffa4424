import pytest
import yaml

from lib import config, paths
from lib.config import ConfigError, active_profile, load_config


def test_default_profile_is_demo(monkeypatch):
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    assert active_profile() == "demo"


def test_profile_from_environment(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    assert active_profile() == "smoke"
    assert load_config("deblur")["profile"] == "smoke"


def test_unknown_profile_lists_the_valid_ones(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    with pytest.raises(ConfigError) as err:
        active_profile()
    assert "'fast'" in str(err.value)
    for name in ("smoke", "demo", "full"):
        assert name in str(err.value)


def test_every_track_section_holds_the_three_profiles_side_by_side():
    for track in config.track_names():
        raw = config.load_track_file(track)
        assert raw, track
        for section, per_profile in raw.items():
            assert set(per_profile) == {"smoke", "demo", "full"}, (track, section)


def test_full_profile_keeps_the_competition_counts():
    data = load_config("deblur", "full")["data"]
    assert (data["n_train"], data["n_test"]) == (1000, 200)
    assert data["train_scale"] == 2.0


def test_full_profile_keeps_the_winners_downsample_and_tlc_window():
    cfg = load_config("deblur", "full")
    assert cfg["prepare"]["downsample"] == 2  # 下采样两倍, not a measured ratio
    # NAFNetLocal(train_size=(1, 3, 256, 256)): base_size = int(256 * 2.5) = 640 px
    assert int(cfg["tlc"]["train_size"] * cfg["tlc"]["factor"]) == 640


def test_section_missing_a_profile_is_a_clear_error(tmp_path, monkeypatch):
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump({"data": {"smoke": {}, "demo": {}}}))
    monkeypatch.setattr(config, "CONFIG_DIR", tmp_path)
    with pytest.raises(ConfigError, match="section 'data' must give exactly the profiles"):
        load_config("broken", "demo")
    with pytest.raises(ConfigError, match="no options for track 'nope'"):
        load_config("nope", "demo")


def test_check_keys_names_the_typo():
    with pytest.raises(ConfigError, match=r"\['n_trian'\]"):
        config.check_keys({"n_trian": 3}, {"n_train"}, "data")
    config.check_keys({"n_train": 3}, {"n_train"}, "data")


def test_data_roots_per_profile_and_real_data(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_DATA", raising=False)
    assert paths.data_root("deblur", "demo") == paths.DATA_DIR / "deblur"
    assert paths.data_root("deblur", "smoke") == paths.DATA_DIR / "deblur-smoke"
    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    assert paths.data_root("deblur", "smoke") == tmp_path


def test_checked_section_names_unknown_and_missing_options():
    from lib.config import checked_section
    from lib.tracks.deblur.data import DATA_KEYS

    opts, where = checked_section("deblur", "data", DATA_KEYS, "smoke")
    assert set(opts) == set(DATA_KEYS) and where == "lib/configs/deblur.yaml data"
    with pytest.raises(ConfigError, match=r"unknown option\(s\) \['n_trian'\]"):
        checked_section("deblur", "data", DATA_KEYS, "smoke", {"n_trian": 3})
    with pytest.raises(ConfigError, match=r"lib/configs/deblur.yaml data: missing option\(s\) \['zz_new'\]"):
        checked_section("deblur", "data", set(DATA_KEYS) | {"zz_new"}, "smoke")


def test_only_de_occlusion_trains_in_mixed_precision_in_full(monkeypatch):
    """`amp: auto` means float16 on any GPU; of the solutions only de-occlusion's inpainter trained in mixed
    precision (its WGAN_trainer: autocast + GradScaler), so every other full profile says `amp: false`."""
    import paddle

    from lib.tracks import get_track
    from lib.train.engine import DEFAULTS, amp_enabled

    monkeypatch.setattr(paddle, "is_compiled_with_cuda", lambda: True)  # as on AI Studio's GPU
    on_gpu = {}
    for name in ("deblur", "denoise", "retouch", "sdwnet", "deocclusion", "deocclusion_seg"):
        track = get_track(name)
        setting = track.train_options(track.config("full")).get("amp", DEFAULTS["amp"])
        on_gpu[name] = amp_enabled(setting, "gpu:0")
    assert on_gpu == {
        "deblur": False,
        "denoise": False,
        "retouch": False,
        "sdwnet": False,
        "deocclusion": True,
        "deocclusion_seg": False,  # the solution's Segment_trainer has no autocast
    }


def test_a_setting_is_a_dotted_option_path_and_a_yaml_value():
    from lib.config import parse_setting

    assert parse_setting("model.width=32") == (["model", "width"], 32)
    assert parse_setting("train.optimizer.lr=1.0e-3") == (["train", "optimizer", "lr"], 1e-3)
    assert parse_setting("model.enc_blk_nums=[1, 1, 1, 2]") == (["model", "enc_blk_nums"], [1, 1, 1, 2])
    for bad in ("width=32", "model.width", "model..width=3", ".width=3"):
        with pytest.raises(ConfigError, match="expected section.key=value"):
            parse_setting(bad)
    with pytest.raises(ConfigError, match="not YAML"):
        parse_setting("model.width=[1, 2")


def test_settings_change_a_copy_only_inside_the_allowed_sections():
    from lib.config import apply_settings

    cfg = load_config("deblur", "demo")
    changed = apply_settings(cfg, ["model.width=32", "train.seed=1", "train.optimizer.lr=1.0e-3"], ("model", "train"))
    assert changed["model"]["width"] == 32 and changed["train"]["seed"] == 1
    assert changed["train"]["optimizer"] == {**cfg["train"]["optimizer"], "lr": 1e-3}
    assert cfg["model"]["width"] == 16 and "seed" not in cfg["train"]  # the original is untouched
    with pytest.raises(ConfigError, match=r"only the sections \['model', 'train'\] .* not 'data'"):
        apply_settings(cfg, ["data.n_train=5"], ("model", "train"))
    with pytest.raises(ConfigError, match=r"train.stages is not a section"):
        apply_settings(cfg, ["train.stages.iters=5"], ("model", "train"))
