def test_not_collected_by_this_project():
    raise AssertionError("python_files does not name test_*.py files here")
