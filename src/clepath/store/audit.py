"""The audit log: who viewed or changed which patient, and sign-ins.

Rows name the user, the action (`view`, `create`, `update`, `delete`, `import`, `export`,
`sign_in`, ...), the patient id and the resource touched. They never hold clinical values:
`detail` is a short fixed phrase chosen by the caller. Rows outlive the patient and the user.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from clepath.store.records import AuditEvent, User
from clepath.store.tables import AuditRow

__all__ = ["AuditLog"]


def _event(row: AuditRow) -> AuditEvent:
    return AuditEvent(
        id=row.id,
        at=row.at,
        username=row.username,
        action=row.action,
        patient_id=row.patient_id,
        resource=row.resource,
        resource_id=row.resource_id,
        detail=row.detail,
    )


class AuditLog:
    """Audit events over one database session (written in the same transaction as the change)."""

    def __init__(self, session: Session) -> None:
        self._db = session

    def record(
        self,
        user: User | None,
        action: str,
        resource: str,
        *,
        patient_id: int | None = None,
        resource_id: int | None = None,
        detail: str | None = None,
        username: str | None = None,
    ) -> None:
        """Add one event (`username` names an unknown user, e.g. a failed sign-in)."""
        self._db.add(
            AuditRow(
                user_id=None if user is None else user.id,
                username=user.username if user is not None else username,
                action=action,
                resource=resource,
                patient_id=patient_id,
                resource_id=resource_id,
                detail=None if detail is None else detail[:200],
            )
        )

    def events(
        self, *, patient_id: int | None = None, limit: int = 200, offset: int = 0
    ) -> list[AuditEvent]:
        """Events, newest first; only one patient's when `patient_id` is given."""
        query = select(AuditRow)
        if patient_id is not None:
            query = query.where(AuditRow.patient_id == patient_id)
        query = query.order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(limit).offset(offset)
        return [_event(r) for r in self._db.scalars(query)]
