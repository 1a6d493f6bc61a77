"""``gridpatrol outbox status | flush | retry-dead``: look into the station outbox and act on it.

Example (shell)::

    gridpatrol outbox status              # pending / sent / dead counts and the last error
    gridpatrol outbox flush --timeout 30  # deliver what is pending now (needs [outbox] station_key)
    gridpatrol outbox retry-dead          # queue refused items again after fixing their cause
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from gridpatrol.outbox import Outbox

outbox_app = typer.Typer(help="The station outbox of reports for the incident log.", no_args_is_help=True)


def _open() -> Outbox:
    from gridpatrol.cli import state
    from gridpatrol.outbox import Outbox

    return Outbox(state.settings.outbox.path)


@outbox_app.command("status")
def status() -> None:
    """Show how many items are pending, sent and dead, the oldest pending one and the last error."""
    from gridpatrol.cli import console, state

    path = state.settings.outbox.path
    if not path.exists():
        console.print(f"no outbox at {path} yet (nothing was queued)", highlight=False, markup=False)
        return
    with _open() as box:
        st = box.status()
    table = Table(title=Text(f"outbox {path}"))
    for col in ("pending", "sent", "dead"):
        table.add_column(col, justify="right")
    table.add_row(*(str(st.counts[c]) for c in ("pending", "sent", "dead")))
    console.print(table)
    if st.oldest_pending is not None:
        age = time.time() - st.oldest_pending
        when = datetime.fromtimestamp(st.oldest_pending, UTC).isoformat(timespec="seconds")
        console.print(f"oldest pending: {when} ({age:.0f} s ago)", highlight=False)
    if st.last_error is not None:
        seq, kind, cid, text = st.last_error
        console.print(f"last error (#{seq} {kind} {cid}): {text}", highlight=False, markup=False)


@outbox_app.command("flush")
def flush(
    timeout: Annotated[float, typer.Option(help="Give up after this many seconds.", min=0.1)] = 30.0,
) -> None:
    """Deliver the pending items now; exits 1 if some are still pending at the end (API down?)."""
    from gridpatrol.cli import console, fail, state
    from gridpatrol.deliverer import Deliverer

    with _open() as box:
        try:
            deliverer = Deliverer.from_config(box, state.settings.outbox)
        except ValueError as exc:
            fail(str(exc))
            return
        done = deliverer.flush(timeout)
        deliverer.client.close()
        counts = box.counts()
    console.print(f"pending {counts['pending']}, sent {counts['sent']}, dead {counts['dead']}", highlight=False)
    if not done:
        fail(f"{counts['pending']} item(s) still pending after {timeout:g} s: {deliverer.last_error}", code=1)


@outbox_app.command("retry-dead")
def retry_dead() -> None:
    """Queue the items the API refused again (after the cause was fixed, e.g. a missing grid or key)."""
    from gridpatrol.cli import console

    with _open() as box:
        n = box.retry_dead()
    console.print(f"{n} item(s) queued again", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``outbox`` to the ``gridpatrol`` command line."""
    app.add_typer(outbox_app, name="outbox")
