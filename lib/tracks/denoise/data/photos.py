"""The clean photos scenes are cut from: ones that ship offline with installed packages."""

from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np

# Clean photos that ship with installed packages: name -> (package, item[, index into a tuple]).
PHOTOS = {
    "astronaut": ("skimage", "astronaut"),
    "rocket": ("skimage", "rocket"),
    "chelsea": ("skimage", "chelsea"),
    "coffee": ("skimage", "coffee"),
    "immunohistochemistry": ("skimage", "immunohistochemistry"),
    "motorcycle_left": ("skimage", "stereo_motorcycle", 0),
    "motorcycle_right": ("skimage", "stereo_motorcycle", 1),
    "china": ("sklearn", "china.jpg"),
    "flower": ("sklearn", "flower.jpg"),
    "grace_hopper": ("matplotlib", "grace_hopper.jpg"),
    "hubble_deep_field": ("skimage", "hubble_deep_field"),
    "retina": ("skimage", "retina"),
    "colorwheel": ("skimage", "colorwheel"),
    "camera": ("skimage", "camera"),  # grayscale photos, used as RGB
    "moon": ("skimage", "moon"),
}


@functools.lru_cache(maxsize=None)
def load_photo(name: str) -> np.ndarray:
    """One of :data:`PHOTOS` as an RGB uint8 array (read from the installed package, offline)."""
    if name not in PHOTOS:
        raise ValueError(f"unknown photo {name!r}; known: {', '.join(PHOTOS)}")
    package, item, *index = PHOTOS[name]
    if package == "skimage":
        import skimage.data

        image = getattr(skimage.data, item)()
        image = image[index[0]] if index else image
    elif package == "sklearn":
        from sklearn.datasets import load_sample_image

        image = load_sample_image(item)
    else:
        import matplotlib

        path = Path(matplotlib.get_data_path()) / "sample_data" / item
        image = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    image = np.stack([image] * 3, axis=-1) if image.ndim == 2 else image
    image = np.ascontiguousarray(image[..., :3], dtype=np.uint8)
    image.setflags(write=False)
    return image


def resized_photo(name: str, short_side: int) -> np.ndarray:
    """The photo with its short side at most ``short_side`` (INTER_AREA; never enlarged)."""
    image = load_photo(name)
    scale = short_side / min(image.shape[:2])
    if scale >= 1:
        return image
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)
