"""Spare parts: references UnwiredWidget, but nothing an entry point reaches imports this."""

from plug.features.unwired import UnwiredWidget

SPARE = [UnwiredWidget]
