"""Words the services use (a package named ``build``, as a word-list builder may be)."""
