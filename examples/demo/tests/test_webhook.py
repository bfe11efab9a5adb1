import hashlib
import hmac
import json

import pytest

from helpdesk.agents.webhook import WebhookAgent


def test_queues_signed_delivery(make_ticket):
    agent = WebhookAgent("https://partner.example/hooks/tickets", secret="s3")
    agent.handle(make_ticket("Refund", category="billing"))
    (delivery,) = agent.deliveries
    assert json.loads(delivery["body"])["category"] == "billing"
    expected = hmac.new(b"s3", delivery["body"].encode(), hashlib.sha256).hexdigest()
    assert delivery["signature"] == expected


def test_rejects_non_http_url():
    with pytest.raises(ValueError):
        WebhookAgent("ftp://partner.example")
