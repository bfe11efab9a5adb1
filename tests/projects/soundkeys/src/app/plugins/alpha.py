"""The alpha plugin."""

NAME = "alpha"
