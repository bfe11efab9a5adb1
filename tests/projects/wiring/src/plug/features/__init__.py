"""The widgets; no imports here."""
