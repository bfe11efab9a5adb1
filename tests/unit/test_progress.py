"""Phase lines on a CI log: one when a phase is through, and one at least every ``every``
seconds while anything runs (issue 21: a long phase printed nothing for minutes)."""

from __future__ import annotations

import io
import os
import subprocess
import sys

from lockgate.report.progress import PhaseLines


def test_a_long_phase_says_where_it_stands_once_the_log_was_quiet_for_long_enough() -> None:
    out = io.StringIO()
    lines = PhaseLines(out, every=10.0)
    start = lines.last
    lines.advance("running tests", -5)
    lines.advance("running tests", 2)
    assert lines.tick(start + 9.0) is False  # quiet for less than 10 s: nothing
    assert out.getvalue() == ""
    assert lines.tick(start + 70.0) is True
    assert out.getvalue().startswith("lockgate: running tests: 2 of 5, ")
    assert lines.tick(start + 75.0) is False  # a line was just written
    lines.advance("running tests", 3)  # through: its own line
    assert out.getvalue().splitlines()[-1].startswith("lockgate: running tests: 5 of 5 in ")
    later = lines.last + 10.0
    assert lines.tick(later) is True  # between phases, still working
    assert out.getvalue().splitlines()[-1] == "lockgate: working"


def test_a_run_on_a_log_keeps_talking_until_it_ends() -> None:
    # the thread of keep_talking writes without a phase having moved; finish stops it
    script = (
        "import sys, threading\n"
        "from lockgate.report.progress import PhaseLines\n"
        "lines = PhaseLines(sys.stdout, every=0.05)\n"
        "seen = threading.Event()\n"
        "write = sys.stdout.write\n"
        "def spy(text):\n"
        "    if 'working' in text: seen.set()\n"
        "    return write(text)\n"
        "sys.stdout.write = spy\n"
        "lines.keep_talking()\n"
        "assert seen.wait(60)\n"
        "lines.finish()\n"
        "print('finished')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
        check=True,
    )
    assert "lockgate: working" in done.stdout and done.stdout.endswith("finished\n")
