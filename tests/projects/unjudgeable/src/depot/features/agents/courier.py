"""Courier: parcels out of the door."""

from depot.units import positive


class CourierService:
    """Ships parcels and counts them."""

    def __init__(self) -> None:
        self.shipped = 0

    def ship(self, parcels: int) -> int:
        """Ship ``parcels`` more parcels and return the running total."""
        self.shipped += positive(parcels)
        return self.shipped
