"""Extensions built through a construction protocol."""
