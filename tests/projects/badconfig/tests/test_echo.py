from solo.features.echo import EchoFeature


def test_say():
    assert EchoFeature().say("hi") == "hi"
    assert EchoFeature(loud=True).say("hi") == "HI"
