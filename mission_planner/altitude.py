"""The patrol altitude, declared once: :data:`PatrolAltitude` is the type of every setting and request that says
how high a patrol flies (``[planner] alt_m``, ``[run] alt_m``, :class:`mission_planner.planner.PlanRequest`).

The limit is 120 m above the launch site: the legal ceiling for drones without a special permit in most
places (EU open category, US Part 107 at 400 ft, China's light-UAV rules), and the default fence ceiling.
A district fence or vehicle profile may lower it further; nothing raises it.

Example:
    >>> from pydantic import TypeAdapter
    >>> TypeAdapter(PatrolAltitude).validate_python(40)
    40.0
    >>> TypeAdapter(PatrolAltitude).validate_python(121)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for constrained-float
    ...
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

#: Highest patrol altitude any setting accepts, metres above the launch site.
MAX_PATROL_ALT_M = 120.0
#: Patrol altitude when nothing says otherwise (m above launch).
DEFAULT_PATROL_ALT_M = 40.0

PatrolAltitude = Annotated[
    float,
    Field(
        gt=0,
        le=MAX_PATROL_ALT_M,
        title="Patrol altitude (m)",
        description=f"Above the launch site, at most {MAX_PATROL_ALT_M:g} m (the legal ceiling in most places).",
    ),
]
