"""The ground-station runtime: one :class:`~gridpatrol.station.runtime.Station` flies, watches, warns and logs.

Modules:
    config: the ``[run]`` settings (drones, links, video, district) and the demo's.
    poses: camera poses from telemetry, so every frame is geolocated with the pose of its own time.
    vision_proc: one analysis process per video stream (detect, track, crowds, masks).
    runtime: :class:`Station`, which wires flight, vision, speaker and the outbox together, built from the
        settings whole.
    rig: what the station keeps per drone and per incident.
    investigate: the operator's "investigate" detour, checked against the allowed airspace.
    summary: the patrol's figures and latency percentiles.
    dashboard: the live terminal view.
    demo: ``gridpatrol demo``: everything on one machine with the simulator and bundled data.
"""
