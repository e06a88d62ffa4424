"""lib.app.images: every image a person may bring is restored or refused with a Chinese message."""

import cv2
import numpy as np
import pytest
from app_inputs import bad_files, good_files, page
from PIL import Image, ImageOps

from lib.app.images import InputImageError, limit_text, load_image, max_pixels, upright
from lib.app.restore import tabs
from lib.tracks import deployment as deployments
from lib.tracks.deployment import MAX_PIXELS, TIME_BUDGET_S


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("app_inputs")


@pytest.mark.parametrize("name", ["png_alpha", "greyscale", "png_16bit", "cmyk_jpeg", "exif_rotation"])
def test_good_inputs_load_as_upright_rgb(folder, name):
    path, shape, note = good_files(folder)[name]
    loaded = load_image(path)
    assert loaded.rgb.dtype == np.uint8 and loaded.rgb.shape == (*shape, 3)
    if note:
        assert any(note in n for n in loaded.notes), loaded.notes
    else:
        assert loaded.notes == []


def test_conversions_keep_the_picture(folder):
    files = good_files(folder)
    rgb = page()
    grey = load_image(files["greyscale"][0]).rgb
    assert np.array_equal(grey[..., 0], grey[..., 2]) and np.array_equal(
        grey[..., 1], cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    )
    assert np.array_equal(load_image(files["png_16bit"][0]).rgb, rgb)  # 257 x v in 16 bits is v in 8
    cmyk = load_image(files["cmyk_jpeg"][0]).rgb.astype(int)
    assert np.abs(cmyk - rgb).mean() < 12  # JPEG, through CMYK and back
    alpha = load_image(files["png_alpha"][0]).rgb
    assert (alpha[:, 0] >= 250).all()  # fully transparent column: white
    assert np.array_equal(alpha[:, -1], rgb[:, -1])  # opaque column: the pixels


def test_exif_rotation_as_pillow_shows_it(folder):
    path = good_files(folder)["exif_rotation"][0]
    with Image.open(path) as image:
        expected = np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    assert np.array_equal(load_image(path).rgb, expected)
    rgb = page()
    for orientation in range(1, 9):
        image = Image.fromarray(rgb)
        exif = image.getexif()
        exif[274] = orientation
        image.info["exif"] = exif.tobytes()
        image = Image.open(_roundtrip(image, folder / f"o{orientation}.jpg", exif))
        assert upright(rgb, orientation).shape == np.asarray(ImageOps.exif_transpose(image)).shape


def _roundtrip(image, path, exif):
    image.save(path, exif=exif, quality=100)
    return path


@pytest.mark.parametrize(
    "name", ["truncated_png", "truncated_jpeg", "non_image", "non_image_named_png", "empty", "over_limit"]
)
def test_bad_inputs_are_refused_in_chinese(folder, name):
    path, words = bad_files(folder)[name]
    with pytest.raises(InputImageError) as error:
        load_image(path)
    assert words in str(error.value)


def recorded_speeds() -> dict:
    """Each tab's seconds per megapixel as its deployment reads it from app/timing.json, in the tabs' order."""
    return {deployment.name: deployment.seconds_per_megapixel for deployment in tabs()}


def test_each_tab_has_its_limit_and_says_what_and_why(tmp_path, monkeypatch):
    speeds = recorded_speeds()
    assert all(speeds.values()), f"a tab without a recorded speed (python -m lib.app.timing --record): {speeds}"
    for track, seconds in speeds.items():
        text = limit_text(track)
        assert f"{max_pixels(track) / 1e6:.1f} 百万像素" in text and f"{seconds:g} 秒" in text and "原因" in text
        assert max_pixels(track) == int(min(MAX_PIXELS, TIME_BUDGET_S / seconds * 1e6) // 100_000 * 100_000)
    # a slower tab takes fewer pixels: a record where the two blurred-document tabs differ
    record = tmp_path / "timing.json"
    record.write_text('{"seconds_per_megapixel": {"deblur": 30, "sdwnet": 90}}', encoding="utf-8")
    monkeypatch.setattr(deployments, "TIMING_RECORD", record)
    assert max_pixels("sdwnet") < max_pixels("deblur") < MAX_PIXELS
    side = int((max_pixels("sdwnet") + max_pixels("deblur")) ** 0.5 / 2**0.5)  # between the two limits
    cv2.imwrite(str(tmp_path / "mid.png"), np.full((side, side, 3), 255, np.uint8))
    assert load_image(tmp_path / "mid.png", "deblur").rgb.shape == (side, side, 3)
    with pytest.raises(InputImageError, match=f"像素太多.*{max_pixels('sdwnet') / 1e6:.1f} 百万像素"):
        load_image(tmp_path / "mid.png", "sdwnet")
    with pytest.raises(InputImageError, match="请先上传"):
        load_image(None)


def test_readme_table_of_the_limits_is_the_code_s():
    """README's section 在自己的图片上试一试 shows each tab's seconds per megapixel and limit as the code has them."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## 在自己的图片上试一试", 1)[1].split("\n## ", 1)[0]
    rows = [
        line.split(" | ") for line in section.splitlines() if line.startswith("| ") and line.endswith(" 百万像素 |")
    ]
    speeds = recorded_speeds()
    assert len(rows) == len(speeds)
    for row, (track, seconds) in zip(rows, speeds.items()):
        assert row[1] == f"{seconds:g}", (track, row)
        assert row[2].startswith(f"{max_pixels(track) / 1e6:g} 百万像素"), (track, row)


def test_every_tab_has_a_small_example_from_the_generators():
    from lib.app.examples import MAX_SIDE, OUT_DIR

    for deployment in tabs():
        path = OUT_DIR / f"{deployment.name}.png"
        assert deployment.example_source is not None and deployment.example_path == path, deployment
        image = load_image(path).rgb
        assert max(image.shape[:2]) <= MAX_SIDE and path.stat().st_size < 100_000, deployment.name
