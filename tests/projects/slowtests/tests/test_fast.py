import os

from app.fast import FastPart


def test_fast() -> None:
    # one line per run, outside the repository: the test counts how often this file ran
    with open(os.path.join(os.environ["SLOWTESTS_LOG"], "fast.log"), "a") as log:
        log.write("ran\n")
    assert FastPart().answer() == 42
