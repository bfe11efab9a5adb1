"""Extensions reached by their tests only through the engine."""
