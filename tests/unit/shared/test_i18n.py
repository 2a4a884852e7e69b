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


def test_a_cancelled_permit_and_a_cancelled_application_are_worded_apart():
    from permitcard.shared.web import permit_status_label

    with i18n.use_locale("zh_Hans"):
        assert permit_status_label("cancelled") == "已注销"
        assert i18n.gettext("Cancelled") == "已取消"
        assert permit_status_label("valid") == "有效"
    with i18n.use_locale("en"):
        assert permit_status_label("expired") == "Expired"
