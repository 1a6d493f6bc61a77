"""Who may change things: observers watch, operators act. A refusal is audited and answered with 403."""

from __future__ import annotations

from fastapi import HTTPException

from gridpatrol.console.accounts import Accounts, Session


def require_operator(accounts: Accounts, who: Session, verb: str, target: str, needed_to: str) -> None:
    """Let an operator through; refuse an observer (403, audited as ``verb`` on ``target``), saying that an operator
    login is needed ``needed_to`` ("to plan and launch")."""
    if not who.can_command:
        accounts.audit(who.username, verb, target, "", "refused: observer")
        raise HTTPException(403, f"observers watch only; an operator login is needed {needed_to}")
