"""What :meth:`speaker.speaker.Speaker.warn` needs from an incident (vision's incidents have these fields)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


class IncidentLike(Protocol):
    """The fields of an incident that a warning uses. Any object with these attributes will do.

    ``type`` picks the phrasebook entry (``crowd``, ``no_mask``); ``count`` and ``grid_id`` fill
    ``{count}``/``{grid}`` and ``grid_id`` is the place for cooldowns and per-grid overrides; ``track_ids``
    (the tracker's ids of the people involved, unique per station) give per-track cooldowns.
    """

    @property
    def id(self) -> str | None: ...
    @property
    def type(self) -> str: ...
    @property
    def count(self) -> int: ...
    @property
    def grid_id(self) -> str | None: ...
    @property
    def lat(self) -> float | None: ...
    @property
    def lon(self) -> float | None: ...
    @property
    def track_ids(self) -> Sequence[int | str]: ...


@dataclass(frozen=True)
class Incident:
    """A plain incident for :meth:`~speaker.speaker.Speaker.warn` (tests, the CLI, a runtime without vision's own).

    Example:
        >>> Incident(id="inc-1", type="crowd", count=7, grid_id="B7", track_ids=(3, 4, 9)).type
        'crowd'
    """

    type: str
    count: int = 1
    grid_id: str | None = None
    id: str | None = None
    lat: float | None = None
    lon: float | None = None
    track_ids: Sequence[int | str] = field(default_factory=tuple)
