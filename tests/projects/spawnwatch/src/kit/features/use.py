from kit import helper


class UseService:
    """Uses a helper."""

    def run(self):
        return helper.used()
