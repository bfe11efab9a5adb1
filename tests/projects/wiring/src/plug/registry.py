"""The widgets the app knows."""

from plug.features.imported import ImportedWidget

WIDGETS = [ImportedWidget]
