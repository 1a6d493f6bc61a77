"""The audit log (admins only): who changed users or keys, or deleted or redacted an incident, and when."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query

from api import accounts
from api.deps import AdminUser, SessionDep
from api.models import AuditEvent
from api.schemas import AuditEventPublic

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=list[AuditEventPublic])
def list_audit(
    session: SessionDep, _: AdminUser, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> Sequence[AuditEvent]:
    """The newest admin actions first."""
    return accounts.list_audit(session, limit)
