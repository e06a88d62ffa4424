"""An image grid figure (matplotlib) and the centre crop its cells often show: what every layer that shows
images draws with (the data layer's analysis, lib.viz and the notebooks through it), below them all."""

from __future__ import annotations

import numpy as np


def center_crop(image: np.ndarray, size: int, at: tuple[float, float] = (0.5, 0.5)) -> np.ndarray:
    """A ``size`` x ``size`` crop centred at fractional position ``at`` = (y, x)."""
    h, w = image.shape[:2]
    size = min(size, h, w)
    y = int(np.clip(at[0] * h - size / 2, 0, h - size))
    x = int(np.clip(at[1] * w - size / 2, 0, w - size))
    return image[y : y + size, x : x + size]


def show_images(rows: list[list[np.ndarray]], titles: list[list[str]] | None = None, cell_size: float = 3.0):
    """A grid of images, one list per row; returns the figure."""
    import matplotlib.pyplot as plt

    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(cell_size * n_cols, cell_size * n_rows), squeeze=False)
    for r, row in enumerate(rows):
        for c in range(n_cols):
            ax = axes[r][c]
            ax.axis("off")
            if c < len(row):
                image = row[c]
                ax.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=255)
                if titles:
                    ax.set_title(titles[r][c], fontsize=9)
    fig.tight_layout()
    return fig
