"""Has a benchmark test that is too slow for the budget."""


class BenchFeature:
    """Sorts things."""

    def sort(self, items: list[int]) -> list[int]:
        return sorted(items)
