"""The app's services."""
