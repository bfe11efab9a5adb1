from plug.features.grouped import GroupedWidget
from plug.features.imported import ImportedWidget
from plug.features.mapped import MappedWidget
from plug.features.scripted import ScriptedWidget
from plug.features.unwired import UnwiredWidget


def test_render():
    for cls in (GroupedWidget, ImportedWidget, MappedWidget, ScriptedWidget, UnwiredWidget):
        assert cls().render().startswith("[")
