"""Test handles: one name both for NiceGUI's User fixture (`mark`) and Playwright (`data-testid`)."""

from __future__ import annotations

from typing import TypeVar

from nicegui.element import Element

E = TypeVar('E', bound=Element)


def tid(element: E, name: str) -> E:
    element.mark(name)
    element.props(f'data-testid="{name}"')
    return element
