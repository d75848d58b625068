"""Custom field definitions (core/custom_fields)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from ..models import CustomField


def custom_fields(session: Session, entity: str) -> Sequence[CustomField]:
    """One entity's fields, retired ones too, in their order."""
    return session.exec(select(CustomField).where(CustomField.entity == entity)
                        .order_by(col(CustomField.position), col(CustomField.id))).all()


def custom_field(session: Session, entity: str, key: str) -> CustomField | None:
    return session.exec(select(CustomField).where(CustomField.entity == entity, CustomField.key == key)).first()
