"""Operator actions from the console: checked, done through the station, and written to the audit log.

Each action names its drone; an unknown drone, an unknown grid, a go-to outside the allowed airspace or a text
that is too long is refused with a message for the operator, and nothing changes. Every attempt, done or refused,
goes into the audit log with who, when and what came of it. Dangerous actions (return home, land, skip a grid, go
to a point, investigate an incident) are refused unless the request says the operator confirmed them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flight.errors import FlightError
from gridpatrol.console.accounts import Accounts, Session
from gridpatrol.console.goto import GotoRefused, check_goto
from mission_planner.district import District
from speaker.recording import RecordingError

log = logging.getLogger(__name__)

#: Actions that ask the operator to confirm first.
DANGEROUS = frozenset({"return-home", "land", "skip-grid", "goto", "investigate"})


@dataclass
class ActionError(Exception):
    """A refused action: the HTTP status and the message for the operator."""

    status: int
    message: str

    def __str__(self) -> str:
        return self.message


class Actions:
    """The operator's controls over a running station.

    Args:
        station: The running :class:`~gridpatrol.station.runtime.Station`.
        accounts: Where the audit log is kept.
        district: The patrolled district (go-to checks name its zones).
        max_text_chars: Longest free text to speak.
    """

    def __init__(self, station: Any, accounts: Accounts, district: District, max_text_chars: int) -> None:
        self.station = station
        self.accounts = accounts
        self.district = district
        self.max_text_chars = max_text_chars

    def do(
        self,
        who: Session,
        drone_id: str,
        action: str,
        args: dict[str, Any],
        confirmed: bool,
        run: Callable[[], str] | None = None,
    ) -> str:
        """Carry out ``action`` on ``drone_id`` for ``who``; returns what was done, in words.

        ``run`` does an action that is not one of the named ones (with its own arguments), under the same checks.

        Raises:
            ActionError: refused (403 observer, 404 unknown drone or grid, 422 bad input, 428 not confirmed,
                409 the vehicle or the mission refused); the audit log has the refusal too.
        """
        detail = ", ".join(f"{k}={v}" for k, v in args.items() if v is not None)[:500]
        try:
            if not who.can_command:
                raise ActionError(403, "observers watch only; an operator login is needed to command drones")
            if drone_id not in self.station.rigs:
                known = ", ".join(self.station.rigs)
                raise ActionError(404, f"no drone {drone_id!r}; the drones are {known}")
            if action in DANGEROUS and not confirmed:
                raise ActionError(428, f"{action} on {drone_id} needs confirmation")
            done = run() if run is not None else self._dispatch(drone_id, action, args)
        except ActionError as exc:
            self.accounts.audit(who.username, action, drone_id, detail, f"refused: {exc.message}")
            raise
        self.accounts.audit(who.username, action, drone_id, detail, f"ok: {done}")
        self.station.note(f"{drone_id}: {action} by {who.username} (console)")
        return done

    def talk(self, who: Session, drone_id: str, wav: bytes, lang: str | None) -> str:
        """Play ``who``'s recorded voice (push-to-talk) through ``drone_id``'s loudspeaker; audited as ``talk``.

        Raises:
            ActionError: as :meth:`do`; 422 when the recording is not one to play (the message says why).
        """
        config = self.station.settings.speaker
        lang = lang or config.lang
        args = {"lang": lang, "bytes": len(wav)}
        return self.do(who, drone_id, "talk", args, confirmed=True, run=lambda: self._talk(drone_id, wav, lang))

    def _talk(self, drone_id: str, wav: bytes, lang: str) -> str:
        voices = self.station.settings.speaker.voices
        if lang not in voices:
            raise ActionError(422, f"no language {lang!r}; use one of {', '.join(voices)}")
        try:
            broadcast = self.station.talk(drone_id, wav, lang)
        except RecordingError as exc:
            raise ActionError(422, str(exc)) from None
        return f"{drone_id} will play your voice: {broadcast.text}"

    def _dispatch(self, drone_id: str, action: str, args: dict[str, Any]) -> str:
        st = self.station
        try:
            if action == "pause":
                st.pause(drone_id)
                return f"{drone_id} paused (holding position)"
            if action == "resume":
                st.resume(drone_id)
                return f"{drone_id} resumed its mission"
            if action == "return-home":
                return str(st.return_home(drone_id))
            if action == "land":
                return self._land(drone_id)
            if action == "investigate":
                return self._investigate(drone_id, str(args.get("incident") or ""))
            if action == "skip-grid":
                return str(st.skip_grid(drone_id, str(args.get("grid") or "")))
            if action == "speak":
                return self._speak(drone_id, args)
            if action == "goto":
                return self._goto(drone_id, args)
        except KeyError as exc:  # no such grid in the drone's mission: the message names the valid ones
            raise ActionError(404, str(exc.args[0]) if exc.args else str(exc)) from None
        except (FlightError, ValueError) as exc:
            raise ActionError(409, str(exc)) from None
        raise ActionError(404, f"no action {action!r}")

    def _land(self, drone_id: str) -> str:
        commander = self.station.rigs[drone_id].flight.commander
        if commander is None:
            raise ActionError(409, f"{drone_id} is not connected yet")
        commander.land()
        return f"{drone_id} landing where it is (LAND)"

    def _investigate(self, drone_id: str, incident: str) -> str:
        owner = next((r.drone_id for r in list(self.station.incidents) if r.incident.id == incident), None)
        if owner is None:
            raise ActionError(404, f"no incident {incident!r} seen by this station")
        if owner != drone_id:
            raise ActionError(409, f"incident {incident} was seen by {owner}; it investigates its own incidents")
        self.station.investigate(incident)
        return f"{drone_id} investigating incident {incident}: fly there, hover, warn, then back to the route"

    def _speak(self, drone_id: str, args: dict[str, Any]) -> str:
        config = self.station.settings.speaker
        lang = args.get("lang") or config.lang
        if lang not in config.voices:
            raise ActionError(422, f"no voice for language {lang!r}; use one of {', '.join(config.voices)}")
        phrase, text = args.get("phrase"), (args.get("text") or "").strip()
        if phrase:
            texts = config.announcements.get(phrase)
            if texts is None:
                raise ActionError(404, f"no phrase {phrase!r}; the phrases are {', '.join(config.announcements)}")
            text = texts.get(lang) or next(iter(texts.values()))
        if not text:
            raise ActionError(422, "there is nothing to say: type some words or pick a phrase")
        if len(text) > self.max_text_chars:
            raise ActionError(422, f"the text has {len(text)} characters; at most {self.max_text_chars} are spoken")
        self.station.speak(text, drone_id, lang)
        return f"{drone_id} will say: {text}"

    def _goto(self, drone_id: str, args: dict[str, Any]) -> str:
        rig = self.station.rigs[drone_id]
        commander = rig.flight.commander
        state = rig.flight.vehicle.state if rig.flight.vehicle is not None else None
        try:
            lat, lon = float(args["lat"]), float(args["lon"])
            alt = args.get("alt_m")
            height = state.alt_rel_m if state is not None and state.armed else None
            flying = height is not None and height > 1.0
            alt_m = float(alt) if alt is not None else float(height if flying and height else rig.checked.cruise_alt_m)
        except (KeyError, TypeError, ValueError):
            raise ActionError(422, "a go-to needs lat and lon in degrees (and alt_m in metres)") from None
        try:
            target = check_goto(self.district, rig.checked, state, lat, lon, alt_m)
        except GotoRefused as exc:
            raise ActionError(422, f"go-to refused: {exc}") from None
        if commander is None:
            raise ActionError(409, f"{drone_id} is not connected yet")
        commander.goto(target.lat, target.lon, target.alt_m, wait=False)
        where = f"({target.lat:.6f}, {target.lon:.6f}) at {target.alt_m:g} m"
        return f"{drone_id} flying to {where} (GUIDED); resume to go back to the mission"
