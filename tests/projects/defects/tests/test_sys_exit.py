from zoo.features.sys_exit import SysExitFeature


def test_run():
    assert SysExitFeature().run(2) == 4
