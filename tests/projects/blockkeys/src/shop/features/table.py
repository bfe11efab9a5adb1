from shop import tables


class TableService:
    """A table built at import."""

    def run(self):
        return tables.TABLE["size"]
