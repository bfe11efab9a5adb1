from app.ext.base import Crawler


def build(cls):
    return cls.from_crawler(Crawler("generic"))


def build_special(cls):
    if cls.__name__ != "SpecialExt":
        raise AssertionError(f"build_special got {cls.__name__}")
    return cls(Crawler("special"), mode="fast")


def make_exact():
    from app.ext.special import ExactExt

    return ExactExt(Crawler("exact"))
