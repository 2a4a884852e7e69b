import pytest

from permitcard.shared import i18n


@pytest.mark.parametrize("tag,expected", [
    ("zh", "zh_Hans"), ("zh-CN", "zh_Hans"), ("zh-SG", "zh_Hans"), ("zh-Hans", "zh_Hans"), ("zh_Hans_CN", "zh_Hans"),
    ("en-GB", "en"), ("en", "en"), ("fr", None), ("", None),
])
def test_babel_does_not_map_zh_so_we_do(tag, expected):
    assert i18n.normalise(tag) == expected


def test_the_switcher_cookie_beats_accept_language_which_beats_english():
    assert i18n.negotiate("en", "zh-CN,zh;q=0.9") == "en"
    assert i18n.negotiate(None, "fr-FR, zh-CN;q=0.8, en;q=0.5") == "zh_Hans"
    assert i18n.negotiate(None, "de, fr") == "en"
    assert i18n.negotiate("xx", None) == "en"


def test_country_names_follow_the_reader_language():
    with i18n.use_locale("zh_Hans"):
        assert i18n.country_name("DE") == "德国"
    with i18n.use_locale("en"):
        assert i18n.country_name("DE") == "Germany"
        codes = [c for c, _ in i18n.country_choices()]
        assert "CN" not in codes and "US" in codes
