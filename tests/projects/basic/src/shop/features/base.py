"""Contracts for services; neither class here is a feature."""

from abc import ABC, abstractmethod
from typing import Protocol


class BaseService(ABC):
    """Abstract base of every service."""

    @abstractmethod
    def describe(self) -> str:
        """One line about the service."""


class NotifierService(Protocol):
    """Anything that can notify a customer."""

    def notify(self, customer: str, text: str) -> None: ...
