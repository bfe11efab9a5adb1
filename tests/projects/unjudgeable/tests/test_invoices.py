from depot.features.agents.invoices import InvoiceService


def test_total():
    assert InvoiceService().total([("bolt", 2), ("nut", 3)]) == "1.00"
    assert InvoiceService().total([]) == "0.00"
