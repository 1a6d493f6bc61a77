"""Operator commands typed while the patrol flies: ``pause drone-1``, ``skip drone-1 8``, ``say 请戴口罩``,
``investigate 3f2a``, ``play 9c1e`` (a proposed warning, ``confirm`` mode)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flight.errors import FlightError
from gridpatrol.station.proposals import ProposalError

if TYPE_CHECKING:
    from gridpatrol.station.runtime import Station

HELP = "pause D | resume D | rtl D | skip D GRID | say [D:]TEXT | investigate ID | play ID | quit"


def run_command(station: Station, line: str) -> str:
    """Carry out one operator command and say what happened (never raises for a person's mistake).

    Example:
        >>> run_command(None, "fly away")[:34]  # an unknown verb never reaches the station
        'unknown command "fly"; commands: p'
    """
    words = line.strip().split(maxsplit=1)
    if not words:
        return ""
    verb, rest = words[0].lower(), (words[1].strip() if len(words) > 1 else "")
    try:
        if verb in {"pause", "hold"}:
            drone = _drone(station, rest)
            station.pause(drone)
            return f"{drone} paused"
        if verb in {"resume", "continue"}:
            drone = _drone(station, rest)
            station.resume(drone)
            return f"{drone} resumed"
        if verb in {"rtl", "return", "home"}:
            drone = _drone(station, rest)
            return station.return_home(drone)
        if verb == "skip":
            return _skip(station, rest)
        if verb in {"say", "speak"}:
            if not rest:
                return "say what? e.g. say 请佩戴口罩"
            drone, _, text = rest.partition(":") if rest.split(":", 1)[0] in station.rigs else ("", "", rest)
            station.speak(text.strip(), drone or None)
            return f"speaking on {drone or 'every drone'}: {text.strip()}"
        if verb in {"investigate", "inv"}:
            return _investigate(station, rest)
        if verb == "play":
            return _play(station, rest)
        if verb in {"help", "?"}:
            return HELP
    except (FlightError, KeyError, ValueError, ProposalError) as exc:
        return f"could not {verb}: {exc}"
    return f'unknown command "{verb}"; commands: {HELP}'


def _drone(station: Station, text: str) -> str:
    if text:
        return text
    if len(station.rigs) == 1:
        return next(iter(station.rigs))
    raise ValueError(f"which drone? one of {', '.join(station.rigs)}")


def _skip(station: Station, rest: str) -> str:
    words = rest.split()
    if len(words) == 1 and len(station.rigs) == 1:
        words = [next(iter(station.rigs)), words[0]]
    if len(words) != 2:
        return f"skip which grid? skip DRONE GRID, e.g. skip {next(iter(station.rigs), 'drone-1')} 8"
    return station.skip_grid(words[0], words[1])


def _investigate(station: Station, prefix: str) -> str:
    if not prefix:
        return "investigate which incident? give the first characters of its id (see the incidents table)"
    ids = [r.incident.id for r in station.incidents if r.incident.id.startswith(prefix)]
    if len(ids) != 1:
        return f"{len(ids)} incidents start with {prefix!r}; give more characters"
    job = station.investigate(ids[0])
    return f"investigating {ids[0][:8]} with {job.rig.link.id}"


def _play(station: Station, prefix: str) -> str:
    if not prefix:
        waiting = ", ".join(f"{p.id} ({p.drone_id} {p.kind})" for p in station.proposals.open()) or "none"
        return f"play which proposed warning? waiting: {waiting}"
    proposal = station.play_proposal(station.proposals.find(prefix).id, "terminal")
    return f"playing {proposal.id} on {proposal.drone_id}: {proposal.text}"
