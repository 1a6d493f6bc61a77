"""Ground-station MAVLink layer for gridpatrol (issue 3): links, vehicles, telemetry, mission protocol.

Start with :class:`flight.link.MavLink` (one connection, any number of vehicles) and
:class:`flight.vehicle.Vehicle` (state, commands, parameters); missions go through :mod:`flight.mission_protocol`.
"""
