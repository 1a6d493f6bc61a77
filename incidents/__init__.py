"""One incident from the camera to the browser: the contract every part shares.

:class:`Incident` is what vision builds for each person without a mask or crowd it finds, what the loudspeaker
reads to choose and fill its warning, what the station's outbox stores (its JSON, once) and what the incident
log API validates a station's report against. One set of names everywhere, the wire's: ``people`` (not
``count``), ``grid_id``, ``ts``; one list of types, :data:`INCIDENT_TYPES`.

The package depends on pydantic only, so every other package may import it (``vision``, ``speaker``, ``api``
and ``gridpatrol``); it imports none of them. The API adds its request hardening on top
(:class:`api.schemas.IncidentCreate`: JSON round trip, nesting and size of ``details``, the timestamp window).

Example:
    >>> from datetime import datetime, timezone
    >>> inc = Incident(type="crowd", ts=datetime(2026, 1, 1, tzinfo=timezone.utc), people=6, grid_id="G1",
    ...                details={"track_ids": [1, 2, 3, 4, 5, 6]})
    >>> body = inc.wire()
    >>> body["type"], body["people"], body["grid_id"], body["ts"], inc.track_ids
    ('crowd', 6, 'G1', '2026-01-01T00:00:00Z', (1, 2, 3, 4, 5, 6))
"""

from incidents.contract import INCIDENT_TYPES, Id, Incident, IncidentType, Lat, Lon, Sha256

__all__ = ["INCIDENT_TYPES", "Id", "Incident", "IncidentType", "Lat", "Lon", "Sha256"]
