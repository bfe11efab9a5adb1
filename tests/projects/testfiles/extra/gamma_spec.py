from app.gamma import GammaPart


def test_size():
    assert GammaPart().size() == 5
