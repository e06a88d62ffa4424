"""Synthetic face blemishes (lib.tracks.retouch.blemish): skin detection on offline faces, determinism, the
image model J = K * I + D + I with its rounding, where blemishes may go, and bad inputs."""

import numpy as np
import pytest
import skimage.data
from matplotlib import cbook
from matplotlib import image as mpimg

from lib.config import ConfigError
from lib.tracks.retouch.blemish import BlemishOptions, compose, skin_mask, synthesize_blemishes

K_MAX = BlemishOptions().k_max


@pytest.fixture(scope="module")
def astronaut():
    return skimage.data.astronaut()  # 512 x 512, a face of ~100 x 130 px


@pytest.fixture(scope="module")
def grace():
    return np.ascontiguousarray(mpimg.imread(cbook.get_sample_data("grace_hopper.jpg")))  # 600 x 512


@pytest.fixture(scope="module")
def faces(astronaut, grace):
    return {"astronaut": (astronaut, skin_mask(astronaut)), "grace": (grace, skin_mask(grace))}


# ---------------------------------------------------------------------------------------------
# Skin
# ---------------------------------------------------------------------------------------------
def test_skin_mask_finds_the_faces(faces):
    img, skin = faces["astronaut"]
    assert skin.dtype == bool and skin.shape == img.shape[:2]
    assert skin[150, 205] and skin[100, 215]  # cheek, forehead
    assert not skin[50, 320] and not skin[230, 30]  # wall, flag
    assert skin[180, 215]  # neck
    assert not skin[350, 150] and not skin[220, 215]  # orange suit, black collar
    assert 5_000 < skin.sum() < 25_000

    img, skin = faces["grace"]
    assert skin[265, 205] and skin[300, 260]  # cheek, chin
    assert not skin[100, 450] and not skin[500, 100]  # sky, jacket
    assert 20_000 < skin.sum() < 70_000


def test_skin_mask_of_an_image_without_skin_is_empty():
    blue = np.zeros((64, 64, 3), np.uint8)
    blue[..., 2] = 200
    assert not skin_mask(blue).any()


# ---------------------------------------------------------------------------------------------
# Synthesis
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["astronaut", "grace"])
def test_same_seed_same_bytes(faces, name):
    img, skin = faces[name]
    a = synthesize_blemishes(np.random.default_rng(7), img, skin)
    b = synthesize_blemishes(np.random.default_rng(7), img, skin)
    for x, y in zip(a, b):
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes()
    c = synthesize_blemishes(np.random.default_rng(8), img, skin)
    assert a.degraded.tobytes() != c.degraded.tobytes()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_outputs_types_and_formula(faces, seed):
    img, skin = faces["grace"]
    degraded, K, D, mask = synthesize_blemishes(np.random.default_rng(seed), img, skin)
    assert degraded.dtype == np.uint8 and degraded.shape == img.shape
    assert K.dtype == np.float32 and D.dtype == np.float32 and K.shape == D.shape == img.shape
    assert mask.dtype == bool and mask.shape == img.shape[:2]
    # Stated rounding: degraded = rint(255 * clip(K I + D + I, 0, 1)), float64 from the float32 maps.
    np.testing.assert_array_equal(degraded, compose(img, K, D))
    clean = img / 255.0  # I
    J = np.clip(K.astype(np.float64) * clean + D + clean, 0, 1)
    assert np.abs(degraded / 255.0 - J).max() <= 0.5 / 255 + 1e-12
    # The clean image comes back from (J - D) / (1 + K) where J was not clipped.
    unclipped = ((K * clean + D + clean) > 0) & ((K * clean + D + clean) < 1)
    recovered = (degraded / 255.0 - D) / (1.0 + K)
    assert np.abs(recovered - clean)[unclipped].max() <= 0.5 / 255 / (1 - K_MAX) + 1e-6


@pytest.mark.parametrize("name", ["astronaut", "grace"])
def test_blemishes_only_on_skin(faces, name):
    img, skin = faces[name]
    for seed in range(3):
        _, _, D, mask = synthesize_blemishes(np.random.default_rng(seed), img, skin)
        assert mask.any()
        assert not (mask & ~skin).any()
        assert not D[~mask].any()  # exactly zero outside the blemish mask
        assert not D[~skin].any()


def test_blemishes_follow_any_given_mask(astronaut):
    skin = np.zeros(astronaut.shape[:2], bool)
    skin[300:380, 100:200] = True  # a patch of the orange suit, called "skin"
    _, _, D, mask = synthesize_blemishes(np.random.default_rng(0), astronaut, skin, {"density": (40, 40)})
    assert mask.any() and not (mask & ~skin).any() and not D[~skin].any()


@pytest.mark.parametrize("name", ["astronaut", "grace"])
def test_outside_blemishes_only_the_mild_K(faces, name):
    """Off the blemish mask D = 0: |degraded - clean| <= k_max * clean + 0.5 (uint8 units), and K
    is bounded, low-frequency and actually there."""
    img, skin = faces[name]
    degraded, K, D, mask = synthesize_blemishes(np.random.default_rng(3), img, skin)
    assert np.abs(K).max() <= K_MAX + 1e-7 and np.abs(K).max() > 0
    diff = np.abs(degraded.astype(np.float64) - img)
    bound = K_MAX * img.astype(np.float64) + 0.5 + 1e-9
    assert (diff <= bound)[~mask].all()
    np.testing.assert_array_equal(degraded[~mask], compose(img, K, np.zeros_like(D))[~mask])
    # Low frequency: neighbouring pixels of K differ by little, while D has sharp blemishes.
    assert np.abs(np.diff(K, axis=0)).max() < 0.01 and np.abs(np.diff(K, axis=1)).max() < 0.01
    assert np.abs(D).max() > 0.1


def test_kinds_of_damage(faces):
    img, skin = faces["grace"]

    def only(kind):
        return {"kinds": tuple(float(k == kind) for k in ("spot", "acne", "mark")), "density": (20, 20)}

    _, _, D_spot, _ = synthesize_blemishes(np.random.default_rng(0), img, skin, only("spot"))
    _, _, D_acne, _ = synthesize_blemishes(np.random.default_rng(0), img, skin, only("acne"))
    # Spots darken every channel; acne reddens: green and blue lose more than red.
    assert (D_spot.reshape(-1, 3).sum(axis=0) < 0).all()
    red, green, blue = D_acne.reshape(-1, 3).sum(axis=0)
    assert green < red and blue < red


def test_no_blemishes_and_no_K_is_the_identity(astronaut, faces):
    _, skin = faces["astronaut"]
    options = {"density": (0, 0), "k_max": 0.0}
    degraded, K, D, mask = synthesize_blemishes(np.random.default_rng(0), astronaut, skin, options)
    assert not mask.any() and not D.any() and not K.any()
    np.testing.assert_array_equal(degraded, astronaut)


def test_density_controls_the_count(faces):
    img, skin = faces["grace"]
    sparse = synthesize_blemishes(np.random.default_rng(0), img, skin, {"density": (1, 1)}).mask.sum()
    dense = synthesize_blemishes(np.random.default_rng(0), img, skin, {"density": (60, 60)}).mask.sum()
    assert dense > 5 * sparse


# ---------------------------------------------------------------------------------------------
# Bad inputs
# ---------------------------------------------------------------------------------------------
def test_bad_inputs_give_clear_errors(astronaut, faces):
    _, skin = faces["astronaut"]
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="uint8"):
        synthesize_blemishes(rng, astronaut / 255.0, skin)
    with pytest.raises(ValueError, match="H x W x 3"):
        synthesize_blemishes(rng, astronaut[..., 0], skin[..., None].repeat(3, 2)[..., 0])
    with pytest.raises(TypeError, match="NumPy array"):
        synthesize_blemishes(rng, astronaut.tolist(), skin)
    with pytest.raises(ValueError, match="shape"):
        synthesize_blemishes(rng, astronaut, skin[:100])
    with pytest.raises(ValueError, match="bool"):
        synthesize_blemishes(rng, astronaut, skin.astype(np.uint8))
    with pytest.raises(ValueError, match="empty"):
        synthesize_blemishes(rng, astronaut, np.zeros_like(skin))
    with pytest.raises(TypeError, match="Generator"):
        synthesize_blemishes(0, astronaut, skin)
    with pytest.raises(TypeError, match="Generator"):
        synthesize_blemishes(np.random.RandomState(0), astronaut, skin)
    with pytest.raises(ConfigError, match="radii"):
        synthesize_blemishes(rng, astronaut, skin, {"radii": (1, 2)})
    with pytest.raises(ValueError, match="radius"):
        synthesize_blemishes(rng, astronaut, skin, {"radius": (5, 1)})
    with pytest.raises(ValueError, match="k_max"):
        synthesize_blemishes(rng, astronaut, skin, {"k_max": 1.5})
    with pytest.raises(ValueError, match="kinds"):
        synthesize_blemishes(rng, astronaut, skin, {"kinds": (0, 0, 0)})
    with pytest.raises(TypeError, match="options"):
        synthesize_blemishes(rng, astronaut, skin, "dense")
    with pytest.raises(ValueError, match="uint8"):
        skin_mask(astronaut.astype(np.float32))
    with pytest.raises(ValueError, match="H x W x 3"):
        skin_mask(astronaut[..., :2])


def test_options_object_and_list_ranges(astronaut, faces):
    _, skin = faces["astronaut"]
    a = synthesize_blemishes(np.random.default_rng(5), astronaut, skin, BlemishOptions(radius=(2.0, 3.0)))
    b = synthesize_blemishes(np.random.default_rng(5), astronaut, skin, {"radius": [2.0, 3.0]})  # YAML lists
    assert a.degraded.tobytes() == b.degraded.tobytes()
