"""Feature names as the table shows them and as `why` and `fix` take them (issue 21: 716
Faker classes named `Provider`)."""

from __future__ import annotations

from lockgate.project.names import named_by, several, shortest

IDS = [
    "faker.providers.address.en_US.Provider",
    "faker.providers.person.en_US.Provider",
    "faker.providers.address.fr_FR.Provider",
    "faker.providers.BaseProvider",
    "shop.Cart",
]


def test_each_feature_gets_its_shortest_tail_no_other_feature_ends_with() -> None:
    assert shortest(IDS) == {
        "faker.providers.address.en_US.Provider": "address.en_US.Provider",
        "faker.providers.person.en_US.Provider": "person.en_US.Provider",
        "faker.providers.address.fr_FR.Provider": "fr_FR.Provider",
        "faker.providers.BaseProvider": "BaseProvider",
        "shop.Cart": "Cart",
    }
    # an id that is the tail of another keeps its whole self
    assert shortest(["a.B", "x.a.B"]) == {"a.B": "a.B", "x.a.B": "x.a.B"}


def test_a_name_is_the_id_or_a_tail_of_whole_parts() -> None:
    fid = "faker.providers.address.en_US.Provider"
    assert named_by(fid, fid) and named_by(fid, "en_US.Provider") and named_by(fid, "Provider")
    assert not named_by(fid, "S.Provider") and not named_by(fid, "Provide")


def test_a_name_of_many_features_lists_a_few_of_them_by_their_short_names() -> None:
    ids = [f"faker.providers.p{n}.Provider" for n in range(716)]
    said = several("Provider", ids)
    assert said.startswith("'Provider' names 716 features (p0.Provider, p1.Provider, ")
    assert said.endswith("and 711 more); give more of the id")
    assert len(said) < 200
