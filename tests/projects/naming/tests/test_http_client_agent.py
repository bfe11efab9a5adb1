"""Found by its name (test_{snake}.py): the module is imported dynamically, not by an import."""

import importlib


def test_request_line():
    module = importlib.import_module("net.agents.http_client")
    agent = module.HTTPClientAgent()
    assert agent.host == "example.invalid"
    assert agent.request_line("/status") == "GET /status HTTP/1.1"
