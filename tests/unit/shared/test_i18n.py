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


def test_dates_and_times_are_in_the_readers_format_and_shanghai_time_never_us_style():
    from datetime import UTC, date, datetime

    from permitcard.shared.i18n import format_date, format_datetime, rfc3339, use_locale

    naive_utc = datetime(2026, 11, 28, 17, 32)  # as SQLite returns it: UTC, 01:32 the next day in Shanghai
    with use_locale("en"):
        assert format_date(date(1988, 4, 12)) == "12 April 1988"
        assert format_date(date(2026, 11, 28), "short") == "28/11/2026"
        assert format_date(naive_utc, "medium") == "29 Nov 2026"
        assert format_datetime(naive_utc) == "29 Nov 2026, 01:32:00"
    with use_locale("zh_Hans"):
        assert format_date(date(1988, 4, 12)) == "1988年4月12日"
        assert format_datetime(datetime(2026, 11, 28, 17, 32, tzinfo=UTC)) == "2026年11月29日 01:32:00"
    assert rfc3339(naive_utc) == "2026-11-29T01:32:00+08:00"


def test_a_count_chooses_the_plural_form_in_every_message():
    """ "at most 1 years": messages with a count are NP_ and translated with ngettext."""
    from permitcard.shared.errors import NP_, TOO_LONG, RuleViolation
    from permitcard.shared.i18n import translate, use_locale

    years = NP_("valid for at most %(years)s year", "valid for at most %(years)s years", "years")
    with use_locale("en"):
        assert translate(years, {"years": 1}) == "valid for at most 1 year"
        assert translate(years, {"years": 5}) == "valid for at most 5 years"
        assert translate(TOO_LONG, {"max_length": 1}) == "Enter at most 1 character"
        err = RuleViolation(years, years=1)
        assert translate(err.message, err.params) == "valid for at most 1 year"
    with use_locale("zh_Hans"):
        assert translate(TOO_LONG, {"max_length": 1}) == "请输入不超过 1 个字符"
