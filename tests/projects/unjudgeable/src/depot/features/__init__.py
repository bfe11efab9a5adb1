"""The depot's services."""
