"""One page of a generated data set, as the generators' worker processes receive it."""

from __future__ import annotations

from dataclasses import dataclass

from ..fonts import FontSet


@dataclass(frozen=True)
class PageJob:
    """One generated page of a data set, picklable for the generators' worker processes: where it
    goes, its split and index, the random seed it is drawn from, the data options and fonts. A
    generator names its files by :attr:`name` (subclass it for another naming)."""

    out_dir: str
    split: str
    index: int
    seed: int
    options: dict
    fonts: FontSet

    @property
    def name(self) -> str:
        return f"{self.index + 1:05d}"
