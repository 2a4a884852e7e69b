"""The printing rule for the name on the card face (ICAO 9303: family name whole, given names shortened first)."""

from permitcard.cards.card_name import CARD_NAME_MAX, card_name


def test_short_name_prints_on_one_line_at_full_size() -> None:
    assert card_name("LI", "MING") == card_name(" LI ", " MING ")
    assert card_name("LI", "MING").text == "LI MING" and card_name("LI", "MING").size == "normal"


def test_name_of_up_to_two_lines_prints_smaller_and_whole() -> None:
    n = card_name("OKONKWO-ADEYEMI", "CHUKWUEMEKA OLUWASEUN BABATUNDE")
    assert n.size == "small" and not n.shortened and n.text == "OKONKWO-ADEYEMI CHUKWUEMEKA OLUWASEUN BABATUNDE"


def test_longer_name_keeps_the_family_name_and_prints_given_names_as_initials() -> None:
    n = card_name("WOLFESCHLEGELSTEINHAUSENBERGERDORFF", "HUBERT BLAINE JOHANNES MAXIMILIAN")
    assert n.shortened and n.text == "WOLFESCHLEGELSTEINHAUSENBERGERDORFF H B J M" and len(n.text) <= CARD_NAME_MAX


def test_the_longest_names_allowed_never_exceed_two_lines() -> None:
    n = card_name("A" * 100, "B" * 100)
    assert n.shortened and len(n.text) == CARD_NAME_MAX
