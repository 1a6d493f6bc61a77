"""Errors of the flight layer, worded for the person at the ground station (what failed, what to check).

Every error is a :class:`FlightError`, so a caller that only wants to report problems catches that one class.

Example:
    >>> try:
    ...     raise CommandRejected(4, "arm", "MAV_RESULT_FAILED: command is valid, but execution has failed")
    ... except FlightError as exc:
    ...     print(exc.result)
    4
"""

from __future__ import annotations

from flight.results import command_result_text


class FlightError(Exception):
    """Base of every flight-layer error; its message is meant for the operator."""


class FlightTimeout(FlightError):
    """The vehicle did not answer in time; the message says what was asked, how long we waited and how often.

    ``FlightTimeout("text")`` keeps ``text`` as the message; with ``waited_s`` the message is composed:
    ``no answer to WHAT after 1.5 s (3 tries); HINT``.
    """

    def __init__(self, what: str, waited_s: float | None = None, tries: int = 1, hint: str = "") -> None:
        tail = f"; {hint}" if hint else ""
        if waited_s is None:
            super().__init__(f"{what}{tail}")
        else:
            super().__init__(f"no answer to {what} after {waited_s:.1f} s ({tries} {_tries(tries)}){tail}")
        self.what = what
        self.waited_s = waited_s
        self.tries = tries


def _tries(n: int) -> str:
    return "try" if n == 1 else "tries"


class CommandRejected(FlightError):
    """A COMMAND_ACK with a result other than ACCEPTED; ``result`` is the MAV_RESULT number."""

    def __init__(self, result: int, command: str = "the command", text: str | None = None) -> None:
        if text is None:
            text = command_result_text(result)
        super().__init__(f"vehicle refused {command}: {text}")
        self.result = result
        self.command = command


class MissionError(FlightError):
    """The mission protocol failed (the vehicle refused the list, or the transfer broke off)."""

    def __init__(self, message: str, result: int | None = None) -> None:
        super().__init__(message)
        self.result = result


class MissionVerifyError(MissionError):
    """What the vehicle holds differs from what was uploaded; names the first differing item and field."""

    def __init__(self, message: str, seq: int | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.seq = seq
        self.field = field


class LinkLost(FlightError):
    """No heartbeat from the vehicle for longer than the link timeout, or the link was closed."""
