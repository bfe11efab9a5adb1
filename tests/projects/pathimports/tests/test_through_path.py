import os
import sys

# the test finds its module through a folder of its own on sys.path, not through a src root
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src", "ext"))

import widget  # noqa: E402


def test_widget_answers() -> None:
    assert widget.WidgetPart().answer() == 42
