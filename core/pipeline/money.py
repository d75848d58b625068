"""Money as users type it, in cents: never float arithmetic on money."""

from __future__ import annotations

from typing import Any

from core.errors import ValidationFailed

MAX_CENTS = 10**15


def parse_money(value: Any) -> int:
    """Cents from a user's amount ('12,500.50', 12500, '¥8000'); never float arithmetic on money."""
    from decimal import Decimal, InvalidOperation

    text = str(value if value is not None else '').replace(',', '').replace('¥', '').replace('￥', '').strip()
    if not text:
        raise ValueError('empty')
    try:
        amount = Decimal(text)
        if not amount.is_finite() or amount < 0 or amount.adjusted() > 13 or amount * 100 >= MAX_CENTS:
            raise ValueError('out of range')
        return int((amount * 100).to_integral_value())
    except (InvalidOperation, ArithmeticError):
        raise ValueError('not a number') from None


def maybe_money(value: Any) -> int | None:
    if value in (None, ''):
        return None
    try:
        return parse_money(value)
    except ValueError:
        raise ValidationFailed({'amount': 'invalid'}) from None


