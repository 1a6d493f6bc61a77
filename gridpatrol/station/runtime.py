"""The ground station at work: every drone flies its mission while its video is analysed, warnings are spoken
and incidents are logged, and the operator can step in.

Threads and processes (nothing slow blocks telemetry):

- one flight thread per drone (:class:`flight.fly.MissionFlight`: upload and verify, arm, fly, watchdogs), its
  MAVLink receive thread filling the drone's :class:`~gridpatrol.station.poses.PoseTracker`;
- one analysis process per drone's video (:mod:`gridpatrol.station.vision_proc`), fed the drone's newest
  camera pose;
- one events thread: incident -> outbox (durable first) -> loudspeaker policy; each finished broadcast -> outbox;
- the outbox's deliverer thread, which sends to the incident log API and waits out an API that is down;
- each drone's :class:`speaker.speaker.Speaker` (playback thread, synthesis worker process).

Example:
    >>> station = Station(settings, missions, api_url=url, station_key=key)  # doctest: +SKIP
    >>> station.start(); station.wait(); summary = station.stop(return_home=True)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import queue
import threading
import time
import uuid
from collections import deque
from pathlib import Path
from typing import Any

from flight.errors import FlightError
from flight.fly import MissionFlight
from flight.safety import CheckedMission
from gridpatrol.config import Settings
from gridpatrol.deliverer import Deliverer
from gridpatrol.outbox import Outbox
from gridpatrol.station.config import NO_VIDEO, DroneLink, RunConfig
from gridpatrol.station.frame_log import FrameLog
from gridpatrol.station.investigate import Investigation
from gridpatrol.station.lockstep import Lockstep
from gridpatrol.station.poses import PoseTracker
from gridpatrol.station.proposals import Proposal, ProposalError, Proposals
from gridpatrol.station.rig import DroneRig, IncidentRecord
from gridpatrol.station.skips import GridSkips
from gridpatrol.station.summary import IncidentTiming, Latencies, patrol_summary
from gridpatrol.station.vision_proc import StreamEvent, StreamProcess, StreamSpec
from mission_planner.district_io import load_district
from speaker.broadcast import Broadcast
from speaker.recording import store_recording
from speaker.sinks import FileSink, Sink
from speaker.speaker import Speaker

log = logging.getLogger(__name__)

__all__ = ["DroneRig", "IncidentRecord", "ProposalError", "Station"]


class Station:
    """Flies, watches, warns and logs for a whole patrol (see the module docs).

    Every part is configured from ``settings``, whole: ``[run]`` (district, drones, analysis rate, investigate),
    ``[flight]`` (link ids, timeouts, telemetry rates, tlog folder), ``[fly]`` (safety, timeouts),
    ``[planner] camera``, ``[speaker]``, ``[vision]``, ``[outbox]`` and ``[station]`` (state and data folders).

    Args:
        settings: All station settings.
        missions: Per drone, its link settings and its checked mission.
        api_url, station_key: The incident log API (defaults from ``[outbox]``).
        sinks: A loudspeaker sink per drone id (default: WAV files under the state directory).
        out_dir: Where audio and the frame log live (default: ``[station] state_dir``). The outbox is ``[outbox]
            path``, the file ``gridpatrol outbox status|flush`` reads after a crash, unless ``out_dir`` is given
            (the demo): then ``out_dir/outbox.db``.
        lockstep: For tests: hold each simulated drone until its camera's analysis caught up (:mod:`.lockstep`).
    """

    def __init__(
        self,
        settings: Settings,
        missions: list[tuple[DroneLink, CheckedMission]],
        *,
        api_url: str | None = None,
        station_key: str | None = None,
        sinks: dict[str, Sink] | None = None,
        out_dir: Path | None = None,
        lockstep: Lockstep | None = None,
    ) -> None:
        if not missions:
            raise ValueError("no drones to fly: add [[run.drones]] tables to station.toml")
        self.settings = settings
        self.run = settings.run
        self.camera = settings.planner.camera
        self.out_dir = Path(out_dir or settings.station.state_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        outbox_cfg = settings.outbox.model_copy(
            update={k: v for k, v in {"api_url": api_url, "station_key": station_key}.items() if v is not None}
        )
        self.outbox = Outbox(self.out_dir / "outbox.db" if out_dir is not None else settings.outbox.path)
        self.deliverer = Deliverer.from_config(self.outbox, outbox_cfg)
        self.lockstep = lockstep or Lockstep({}, 1.0)  # with no clocks it holds nothing: live
        self.events: Any = mp.get_context("spawn").Queue()
        self.incidents: list[IncidentRecord] = []
        self.latencies = Latencies()
        self.broadcasts: list[Broadcast] = []
        self.messages: deque[str] = deque(maxlen=8)
        self.investigations: dict[str, Investigation] = {}
        self.proposals = Proposals(settings.speaker.proposal_ttl_s, self.note)
        self._by_incident: dict[str, IncidentRecord] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.started_wall = 0.0
        self._stopped: dict[str, Any] | None = None
        self.frames_log = FrameLog(self.out_dir / "frames.jsonl")
        self._sinks = sinks or {}
        self.rigs: dict[str, DroneRig] = {}
        self.replan(missions)

    def replan(self, missions: list[tuple[DroneLink, CheckedMission]], run: RunConfig | None = None) -> None:
        """Fly these missions (before :meth:`start`: a plan made in the console); drones left out stay down.
        ``run``: the ``[run]`` they were planned from (its grids and drones), when it differs from the settings'.

        Raises:
            RuntimeError: The patrol has started; its missions are fixed.
        """
        if self.started_wall:
            raise RuntimeError("the patrol has started; its missions cannot change")
        if run is not None:
            self.run = run
        self.rigs = {link.id: self._rig(link, checked, self._sinks.get(link.id)) for link, checked in missions}

    def _rig(self, link: DroneLink, checked: CheckedMission, sink: Sink | None) -> DroneRig:
        """One drone's flight (``[fly]`` and ``[flight]``), loudspeaker (``[speaker]``), poses and grid skips."""
        s = self.settings
        speaker = Speaker(
            s.speaker,
            sink or FileSink(self.out_dir / "audio" / link.id),
            self.out_dir / "speaker-cache",
            drone_id=link.id,
            on_broadcast=self._on_broadcast,
        )
        flight = self._flight(link, checked)
        poses = PoseTracker(default_gimbal_pitch=self.camera.gimbal_pitch_deg)
        return DroneRig(link, checked, flight, poses, speaker, GridSkips(checked, link.id, self.note, flight.status))

    def _flight(self, link: DroneLink, checked: CheckedMission) -> MissionFlight:
        """One flight of ``checked`` (``[fly]`` and ``[flight]``), labelled with the drone's id."""
        flight = MissionFlight(
            checked, link.connect, self.settings.fly, self.settings.flight, on_event=self._on_watch_event
        )
        flight.status.label = link.id
        return flight

    # --- start and stop ---------------------------------------------------------------------------------------

    def start(self, grids: list[str] | None = None, ready_timeout_s: float | None = None) -> None:
        """Start the outbox, loudspeakers (pre-rendered), analysis processes, then the flights.

        The drones take off only once every video analysis is ready (model loaded) or has failed, so no
        part of the route goes unwatched while a model loads; after ``ready_timeout_s`` (``[run]
        ready_timeout_s`` when not given) they fly anyway.
        """
        self.started_wall = time.time()
        self.deliverer.start()
        self._start_drones(list(self.rigs.values()), grids, ready_timeout_s)

    def _start_drones(self, rigs: list[DroneRig], grids: list[str] | None, ready_timeout_s: float | None) -> None:
        """Start these drones' analyses and loudspeakers, the station's threads (once), then, with the analyses
        ready or after ``ready_timeout_s``, their flights."""
        if ready_timeout_s is None:
            ready_timeout_s = self.run.ready_timeout_s
        for rig in rigs:
            if rig.link.video == NO_VIDEO:
                rig.stream_state = "no video"  # flies and speaks; nothing to analyse
                continue
            rig.stream = StreamProcess(self._spec(rig), self.events)
            rig.stream.start()
        places = load_district(self.run.district).place_names()
        for rig in rigs:
            rig.speaker.start(grids=grids or [], places=places)
        if not self._threads:
            for target, name in ((self._feed_poses, "poses"), (self._handle_events, "events")):
                t = threading.Thread(target=target, name=name, daemon=True)
                t.start()
                self._threads.append(t)
        deadline = time.monotonic() + ready_timeout_s
        while time.monotonic() < deadline and any(r.stream_state == "starting" for r in rigs):
            time.sleep(0.2)
        for rig in rigs:
            if rig.stream_state == "starting":
                self.note(f"{rig.link.id}: video analysis not ready after {ready_timeout_s:.0f} s; flying anyway")
            rig.fly()

    def fly_again(self, missions: list[tuple[DroneLink, CheckedMission]], grids: list[str] | None = None) -> None:
        """After :meth:`start`, fly these missions (a later sortie, a scheduled patrol) on drones whose last flight
        has ended. A drone that has not flown yet first gets its loudspeaker and video analysis, as in
        :meth:`start` (in a thread: this call does not wait); the others fly at once, their analyses go on.

        Raises:
            RuntimeError: The patrol has not started (use :meth:`replan` then :meth:`start`), the station has
                stopped, or a drone is still flying (named, with its phase); then nothing changes.
        """
        if not self.started_wall:
            raise RuntimeError("the patrol has not started; plan it and start it first")
        if self._stopped is not None:
            raise RuntimeError("the station has stopped; start it again to launch")
        with self._lock:
            busy = [
                f"{r.link.id} ({r.flight.status.phase})"
                for link, _ in missions
                if (r := self.rigs.get(link.id)) is not None and not r.flight.status.done
            ]
            if busy:
                raise RuntimeError(f"still flying: {', '.join(busy)}; launch it again once it has landed")
            rigs, fresh, again = dict(self.rigs), [], []
            for link, checked in missions:
                rig = rigs.get(link.id)
                if rig is None:
                    rigs[link.id] = rig = self._rig(link, checked, self._sinks.get(link.id))
                    fresh.append(rig)
                else:
                    flight = self._flight(link, checked)
                    rig.next_sortie(checked, flight, GridSkips(checked, link.id, self.note, flight.status))
                    again.append(rig)
            self.rigs = rigs  # a new dict: the threads that walk the old one finish that round undisturbed
        for rig in again:
            rig.fly()
        if fresh:  # their analyses take a while to start: not in the caller's thread
            threading.Thread(target=self._start_drones, args=(fresh, grids, None), daemon=True).start()

    def _spec(self, rig: DroneRig) -> StreamSpec:
        s = self.settings
        return StreamSpec(
            drone_id=rig.link.id,
            mission_id=rig.checked.path.stem,
            source=rig.link.video,
            camera=self.camera,
            vision=s.vision,
            district_path=self.run.district,
            scene_path=self.run.scene,
            data_dir=s.station.data_dir,
            cache_dir=s.station.sprites(),
            fps=self.run.fps,
            video_fps=self.run.video_fps,
        )

    def flights_done(self) -> bool:
        """Whether every drone's flight has ended (landed, failed or cancelled)."""
        return all(r.flight.status.done for r in self.rigs.values())

    def wait(self, timeout_s: float | None = None, poll_s: float = 0.2) -> bool:
        """Wait until every flight has ended; ``False`` if ``timeout_s`` passed first."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while not self.flights_done():
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(poll_s)
        return True

    def stop(self, return_home: bool = True, flush_timeout_s: float = 15.0) -> dict[str, Any]:
        """A clean stop: drones return (or hold), streams close, speech ends, the outbox is flushed.

        Returns:
            The patrol summary (see :meth:`summary`); a second call returns the first one's.
        """
        if self._stopped is not None:
            return self._stopped
        self.lockstep.release_all()
        for rig in self.rigs.values():
            if not rig.flight.status.done:
                if return_home:
                    rig.flight.return_home()
                else:
                    rig.hold(self.note)
                    rig.flight.release()  # held: its failsafes look after it; stop following (and its link)
        for rig in self.rigs.values():
            if rig.stream is not None:
                rig.stream.stop()
        time.sleep(0.3)  # let the events thread take the streams' last incidents
        for rig in self.rigs.values():
            rig.speaker.stop()
            rig.skips.close()
        self._stop.set()
        for t in self._threads:
            t.join(5.0)
        self._drain_events()
        self.frames_log.close()
        flushed = self.deliverer.stop(flush_timeout=flush_timeout_s)
        summary = self.summary()
        summary["outbox_flushed"] = flushed
        self.outbox.close()
        self._stopped = summary
        return summary

    # --- the threads ------------------------------------------------------------------------------------------

    def _feed_poses(self) -> None:
        period = 1.0 / max(self.run.fps * 2, 1.0)
        while not self._stop.is_set():
            for rig in self.rigs.values():
                rig.attach()
                latest = rig.poses.latest()
                if latest is not None and rig.stream is not None:
                    rig.stream.feed(latest)
                    self.lockstep.on_pose(rig.link.id, latest.alt_rel)
                rig.track_flight_time(latest)
            self.check_analyses()
            self._stop.wait(period)

    def check_analyses(self) -> None:
        """Say when a drone's analysis process has ended without a word (killed, crashed): its video is then
        unwatched, and in lockstep its drone must not wait for frames that will never come."""
        for rig in self.rigs.values():
            why = rig.analysis_died()
            if why is not None:
                self.events.put(StreamEvent("error", rig.link.id, error=why))

    def _handle_events(self) -> None:
        while not self._stop.is_set():
            try:
                event: StreamEvent | None = self.events.get(timeout=0.2)
            except queue.Empty:
                event = None
            if event is not None:
                self._handle(event)
            self.proposals.sweep()  # unplayed proposals expire (and are logged) whether or not events come

    def _drain_events(self) -> None:
        while True:
            try:
                self._handle(self.events.get_nowait())
            except queue.Empty:
                return

    def _handle(self, ev: StreamEvent) -> None:
        rig = self.rigs.get(ev.drone_id)
        if rig is None:
            return
        self.lockstep.on_event(ev)
        if ev.kind == "frame":
            self.frames_log.write(ev)
            rig.frames += 1
            rig.people = ev.people
            rig.frame_walls.append(ev.wall)
            rig.stream_state = "analysing"
        elif ev.kind == "ready":
            rig.stream_state = "ready"
        elif ev.kind == "error":
            rig.stream_state = "error"
            self.note(f"{ev.drone_id}: video: {ev.error}")
        elif ev.kind == "stopped":
            rig.stream_state = "stopped" if rig.stream_state != "error" else "error"
        elif ev.kind == "incident":
            self._on_incident(rig, ev)

    def _on_incident(self, rig: DroneRig, ev: StreamEvent) -> None:
        inc = ev.incident
        record = IncidentRecord(inc, rig.link.id)
        timing = IncidentTiming(
            frame_wall=ev.frame_wall or ev.wall,
            found_wall=time.time(),
            analysis_ms=ev.timings_ms.get("total"),
            sent_wall=ev.wall,
        )
        with self._lock:
            self.incidents.append(record)
            self._by_incident[inc.id] = record
        self.latencies.found(inc.id, timing)
        self.outbox.put_incident(inc, inc.snapshot)  # durable before anything else happens
        mode = self.settings.speaker.mode_for(None if inc.grid_id is None else str(inc.grid_id))
        said = "no warning (warning mode off)"
        try:
            if mode == "auto":
                record.broadcast = rig.speaker.warn(inc)
                said = "warning queued" if record.broadcast else "no warning (cooldown)"
            elif mode == "confirm":
                prepared = rig.speaker.prepare(inc)
                said = "no warning (cooldown)"
                if prepared is not None:
                    said = f"warning proposed ({self.proposals.add(rig.link.id, inc.id, prepared).id})"
        except Exception as exc:  # a phrasebook gap must not lose the incident
            self.note(f"{rig.link.id}: could not warn for {inc.type}: {exc}")
        where = f"grid {inc.grid_id}" if inc.grid_id else "outside the grids"
        self.note(f"{rig.link.id}: {inc.type} x{inc.people} in {where}; {said}")

    def _on_broadcast(self, broadcast: Broadcast) -> None:
        """A clip has finished (played, cut off or failed): log it with its incident."""
        self.outbox.put_broadcast(broadcast.to_api())
        with self._lock:
            self.broadcasts.append(broadcast)
            record = self._by_incident.get(broadcast.incident_id or "")
        if record is not None and broadcast.started_at is not None:
            record.played = True
            self.latencies.played(record.incident.id, broadcast.started_at.timestamp())

    def _on_watch_event(self, flight: MissionFlight, event: Any) -> None:
        self.note(f"{flight.status.label}: {getattr(event, 'text', event)}")

    def note(self, text: str) -> None:
        """Show a line to the operator (the live view's message list) and log it."""
        log.info("%s", text)
        self.messages.append(time.strftime("%H:%M:%S ") + text)

    # --- operator controls ------------------------------------------------------------------------------------

    def rig(self, drone_id: str) -> DroneRig:
        """The drone's parts, with a clear error for an unknown id."""
        if drone_id not in self.rigs:
            raise KeyError(f"no drone {drone_id!r}; the drones are {', '.join(self.rigs)}")
        return self.rigs[drone_id]

    def _commander(self, drone_id: str) -> Any:
        c = self.rig(drone_id).flight.commander
        if c is None:
            raise FlightError(f"{drone_id} is not connected yet")
        return c

    def pause(self, drone_id: str) -> None:
        """Hold the drone where it is (BRAKE or LOITER); the mission resumes with :meth:`resume`."""
        self._commander(drone_id).pause()
        self.note(f"{drone_id}: paused")

    def resume(self, drone_id: str) -> None:
        """Carry on with the mission from the item it was flying to."""
        self._commander(drone_id).resume()
        self.note(f"{drone_id}: resumed")

    def return_home(self, drone_id: str) -> str:
        """Bring the drone back (RTL), or cancel it before take-off."""
        done = self.rig(drone_id).flight.return_home()
        self.note(f"{drone_id}: {done}")
        return done

    def skip_grid(self, drone_id: str, grid_id: str) -> str:
        """Leave out the rest of a grid: the drone jumps to the first mission item after it (now if it is in the
        grid, else when it gets there); the summary reports the grid as skipped, not covered.

        Raises:
            KeyError: no such drone, or no such grid in its mission (the message names the valid ones).
            ValueError: the drone has already flown that grid. FlightError: the vehicle refused the jump.
        """
        rig = self.rig(drone_id)
        if rig.flight.returning.is_set() or rig.flight.status.done:
            raise ValueError(f"{drone_id} is {rig.flight.status.phase}, not on its mission; nothing to skip")
        done = rig.skips.skip(grid_id)
        self.note(done)
        return done

    def speak(self, text: str, drone_id: str | None = None, lang: str | None = None) -> list[Broadcast]:
        """Say free text through one drone's loudspeaker (or all); it goes before any queued warning."""
        rigs = [self.rig(drone_id)] if drone_id else list(self.rigs.values())
        return [r.speaker.announce(text, lang=lang) for r in rigs]

    def talk(self, drone_id: str, wav: bytes, lang: str | None = None) -> Broadcast:
        """Play the operator's recorded voice (push-to-talk) through one drone's loudspeaker, before any warning.

        Raises:
            KeyError: No such drone. speaker.recording.RecordingError: the clip is not one to play (says why).
        """
        rig = self.rig(drone_id)
        clip = store_recording(wav, self.out_dir / "talk" / drone_id / f"{uuid.uuid4().hex}.wav")
        return rig.speaker.talk(clip.path, clip.seconds, lang)

    def play_proposal(self, proposal_id: str, who: str) -> Proposal:
        """Play a proposed warning (``confirm`` mode) through its drone's loudspeaker, as ``auto`` would have.

        Raises:
            ProposalError: 404 no such proposal; 409 it expired or was played or dismissed already.
        """
        proposal = self.proposals.close(proposal_id, who, "played")
        broadcast = self.rig(proposal.drone_id).speaker.play(proposal.warning)
        with self._lock:
            record = self._by_incident.get(proposal.incident_id)
        if record is not None:
            record.broadcast = broadcast
        self.note(f"{proposal.drone_id}: proposed warning {proposal.id} played, confirmed by {who}")
        return proposal

    def dismiss_proposal(self, proposal_id: str, who: str) -> Proposal:
        """Drop a proposed warning unplayed (same errors as :meth:`play_proposal`)."""
        proposal = self.proposals.close(proposal_id, who, "dismissed")
        self.note(f"{proposal.drone_id}: proposed warning {proposal.id} dismissed by {who}")
        return proposal

    def investigate(self, incident_id: str) -> Investigation:
        """Fly to an incident, hover at a safe height, point the camera, repeat the warning, then resume.

        Raises:
            KeyError: No such incident. FlightError: the detour would leave the allowed airspace.
        """
        with self._lock:
            record = self._by_incident.get(incident_id)
        if record is None:
            raise KeyError(f"no incident {incident_id!r} seen by this station")
        rig = self.rig(record.drone_id)
        running = self.investigations.get(rig.link.id)
        if running is not None and running.running:
            raise FlightError(f"{rig.link.id} is already investigating; wait for it to finish")
        job = Investigation(rig, record.incident, self.run, self.settings.speaker.phrasebook, self.note)
        job.check()
        self.investigations[rig.link.id] = job
        job.start()
        return job

    # --- figures ----------------------------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """Incidents by type and grid, warnings played, flight figures per drone, latencies, outbox state
        (:func:`gridpatrol.station.summary.patrol_summary`)."""
        with self._lock:
            incidents, broadcasts = list(self.incidents), list(self.broadcasts)
        return patrol_summary(
            self.rigs.values(), incidents, broadcasts, self.latencies, self.outbox.counts(), self.started_wall
        )
