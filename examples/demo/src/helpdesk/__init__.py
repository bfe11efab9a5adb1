"""helpdesk: support desk automation built from small, testable agents."""

__version__ = "1.4.0"
