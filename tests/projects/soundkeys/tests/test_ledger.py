from pathlib import Path

from app.features.ledger import LedgerService

CASES = Path(__file__).parent / "data" / "ledger_cases.txt"


def test_gross_from_cases():
    with open(CASES, encoding="utf-8") as cases:
        for line in cases:
            net, gross = map(int, line.split())
            assert LedgerService().gross(net) == gross


def test_fee_mode_limit():
    ledger = LedgerService()
    assert ledger.fee() == 2
    assert ledger.mode() == "plain"
    assert ledger.limit() == 42
