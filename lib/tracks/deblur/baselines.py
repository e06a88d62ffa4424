"""The classical deblurring baselines a learned model must beat: :mod:`lib.evaluate.deconvolution`
(shared with the sdwnet track, which restores the same pages), under this track's name for its notebooks."""

from __future__ import annotations

from lib.evaluate.deconvolution import METHODS, gaussian_psf, richardson_lucy, tune, unsharp, wiener

__all__ = ["METHODS", "gaussian_psf", "richardson_lucy", "tune", "unsharp", "wiener"]
