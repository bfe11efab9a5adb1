from helpdesk.text import contains_any, sentences, truncate, words


def test_words_and_sentences():
    assert words("Hello, World! It's 5") == ["hello", "world", "it's", "5"]
    assert sentences("One. Two? Three!") == ["One.", "Two?", "Three!"]


def test_contains_any_and_truncate():
    assert contains_any("Please refund now", ["refund", "invoice"]) == ["refund"]
    assert truncate("short", 10) == "short"
    assert truncate("a long sentence", 6) == "a lon…"
