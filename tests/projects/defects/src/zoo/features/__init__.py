"""Features; this file must stay empty of imports (several modules crash at import)."""
