# Only the happy path is tested so far: detection and routing are not covered yet.
from helpdesk.agents.language import LanguageAgent


def test_supported_languages():
    assert LanguageAgent().supported() == ["de", "en", "es", "fr", "nl"]
