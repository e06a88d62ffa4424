"""Restoration networks of the course, one architecture per file."""

from .nafnet import NAFNET_CONFIGS, NAFNET_PARAM_COUNTS, NAFNet, count_parameters, nafnet_from_config
from .tlc import to_tlc

__all__ = ["NAFNet", "NAFNET_CONFIGS", "NAFNET_PARAM_COUNTS", "count_parameters", "nafnet_from_config", "to_tlc"]
