"""Extensions documented the way Sphinx projects document them."""
