"""Restoration networks of the course, one architecture per file; the pieces they share are in
:mod:`lib.models.layers`."""

from .layers import count_parameters
from .nafnet import NAFNET_CONFIGS, NAFNET_PARAM_COUNTS, NAFNet, nafnet_from_config
from .tlc import to_tlc

__all__ = ["NAFNet", "NAFNET_CONFIGS", "NAFNET_PARAM_COUNTS", "count_parameters", "nafnet_from_config", "to_tlc"]
