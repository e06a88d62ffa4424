"""The app's tabs: one per track whose deployment has a tab (lib.tracks.deployment: a title, an intro, an
example, controls, extra outputs, size limits), in the order the course teaches the tracks. No gradio here
(:mod:`lib.app.ui` builds the tabs from these; tests call them directly). Adding a track's tab is adding its
deployment in its own package, nothing here.

Each tab restores through its deployment, with the model ``make submission`` exports, of the profile
(``$COURSE_PROFILE``: the learner's own run, else its published model, else the shipped demo model;
``COURSE_SHIPPED=1`` the shipped one): :meth:`Deployment.runner` exports it once per checkpoint into
``runs/app/exported/`` and loads it on the tab's first use with lib.infer's runners (ONNX Runtime or Paddle
Inference, as the submission's ``predict.py``); restoring goes through lib.infer's tile plans and
:func:`lib.infer.restore_array`, the very files the submission zip carries; the de-occlusion pair through the
submission's own pipeline over its two exported networks.
"""

from __future__ import annotations

import numpy as np

from ..tracks.deployment import Deployment, Restored

__all__ = ["Restored", "course_order", "model_of", "restore", "tab_names", "tabs"]


def course_order(deployment: Deployment) -> tuple:
    """Tabs follow the course: by the track's first notebook; a track without one last, by name."""
    notebooks = deployment.track.notebooks
    return (not notebooks, notebooks[0] if notebooks else "", deployment.name)


def tabs() -> list[Deployment]:
    """Every registered track's deployment that has a tab, in the course's order."""
    from ..tracks import all_tracks

    return sorted((track.deployment for track in all_tracks() if track.deployment.has_tab), key=course_order)


def tab_names() -> list[str]:
    return [deployment.name for deployment in tabs()]


def restore(track_name: str, image: np.ndarray, **options) -> Restored:
    """``image`` (RGB uint8) through the tab of ``track_name`` (:meth:`Deployment.restore`): ``progress``,
    ``profile`` and the tab's controls by key."""
    from ..tracks import get_deployment

    return get_deployment(track_name).restore(image, **options)


def model_of(track_name: str, profile: str | None = None, deployed: bool = True):
    """The track's trained model of ``profile``, made deployable unless ``deployed`` is False; loaded once per
    process (:meth:`Deployment.model`)."""
    from ..tracks import get_deployment

    return get_deployment(track_name).model(profile, deployed)
