from zoo.features.todo_guide import TodoGuideFeature


def test_run():
    assert TodoGuideFeature().run(2) == 4
