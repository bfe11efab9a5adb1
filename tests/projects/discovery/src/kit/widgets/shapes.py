"""Shapes: one concrete widget among abstract ones and protocols."""

import typing
from abc import ABC, abstractmethod
from typing import Protocol, TypeVar

T = TypeVar("T")


class AbstractWidget(ABC):
    """Base of drawable widgets."""

    @abstractmethod
    def draw(self) -> str:
        """The widget as text."""


class PartialWidget(AbstractWidget):
    """Adds a size but does not implement ``draw``: still abstract."""

    size = 1


class DrawableWidget(Protocol):
    """Anything that draws."""

    def draw(self) -> str: ...


class SizedWidget(typing.Protocol):
    """Anything with a size."""

    size: int


class GenericWidget(Protocol[T]):
    """Anything that holds a T."""

    def get(self) -> T: ...


class WidgetHelper:
    """Not a widget: the name does not match."""


class SquareWidget(AbstractWidget):
    """A square."""

    def draw(self) -> str:
        return "[]"
