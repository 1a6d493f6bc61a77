"""Errors the planner raises. Each message names the input (feature, grid or leg) and says how to fix it."""


class PlanningError(ValueError):
    """Base class for every planner error a user can act on."""


class DistrictError(PlanningError):
    """The district file is malformed: bad GeoJSON/KML or geometry, an unknown kind, a missing property."""


class InfeasibleError(PlanningError):
    """The request cannot be planned: a grid in a no-fly zone, too far for one battery, outside the fence."""


class UnsafeLegError(PlanningError):
    """A leg of a route would leave the fence, enter a no-fly zone or break an altitude limit."""
