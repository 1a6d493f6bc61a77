"""What :meth:`speaker.speaker.Speaker.warn` reads: the shared incident contract, :class:`incidents.Incident`.

``type`` picks the phrasebook entry (``crowd``, ``no_mask``); ``people`` and ``grid_id`` fill the templates'
``{count}`` and ``{grid}`` (the placeholders keep their names, so existing phrasebooks stay valid) and
``grid_id`` is the place for cooldowns and per-grid overrides; ``track_ids`` (``details["track_ids"]``, the
tracker's ids of the people involved, unique per station) give per-track cooldowns.

Example:
    >>> from datetime import datetime, timezone
    >>> inc = Incident(type="crowd", ts=datetime.now(timezone.utc), people=7, grid_id="B7",
    ...                details={"track_ids": [3, 4, 9]})
    >>> inc.people, inc.track_ids
    (7, (3, 4, 9))
"""

from __future__ import annotations

from incidents import Incident

__all__ = ["Incident"]
