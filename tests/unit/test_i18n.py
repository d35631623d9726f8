"""Both languages define the same keys, and every key the code uses exists."""

import re
from pathlib import Path

import pytest

from crm import i18n
from crm.value import overview
from crm.store.filters import DIMENSIONS
from crm.store.features import AGE_BANDS

ROOT = Path(__file__).resolve().parents[2]
# t("a.b"), ctx.t("a.b"), CRMInputError("a.b", ...), key="a.b" passed to helpers
KEY_USE = re.compile(r"""(?:\bt|\.t|CRMInputError|empty_state\(ctx,)\(?\s*["']([a-z_]+(?:\.[A-Za-z0-9_]+)+)["']""")


def source_files():
    for folder in ("crm", "pages", "ui"):
        yield from (ROOT / folder).rglob("*.py")
    yield ROOT / "app.py"


def test_languages_have_the_same_keys():
    zh, en = set(i18n.catalog("zh")), set(i18n.catalog("en"))
    assert zh - en == set(), f"missing in en: {sorted(zh - en)}"
    assert en - zh == set(), f"missing in zh: {sorted(en - zh)}"


def test_no_empty_translation():
    for lang in i18n.LANGUAGES:
        empty = [k for k, v in i18n.catalog(lang).items() if not str(v).strip()]
        assert empty == [], f"{lang}: {empty}"


def test_every_literal_key_used_in_code_exists():
    used = set()
    for path in source_files():
        used.update(KEY_USE.findall(path.read_text(encoding="utf-8")))
    assert len(used) > 40  # the scan itself works
    missing = sorted(k for k in used if not i18n.has_key(k, "zh") or not i18n.has_key(k, "en"))
    assert missing == []


def test_generated_keys_exist():
    keys = [f"overview.kpi.{m}" for m in overview.KPI_ORDER] + [f"overview.kpi.{m}.help" for m in overview.KPI_ORDER]
    keys += [f"shell.filter.{d}" for d in DIMENSIONS] + [f"value.age_bands.{b}" for b in AGE_BANDS]
    keys += [f"shell.language.{lang}" for lang in i18n.LANGUAGES]
    from crm.value import key_accounts, loyalty, profiles, rfm

    keys += [f"rfm.segment.{c}" for c in rfm.SEGMENTS] + [f"rfm.segment.{c}.action" for c in rfm.SEGMENTS]
    keys += [f"loyalty.tier.{name}" for name, _ in loyalty.DEFAULT_TIERS]
    keys += [f"key_accounts.trend.{c}" for c in key_accounts.TRENDS]
    keys += [f"key_accounts.reason.{c}" for c in key_accounts.ALERT_REASONS]
    keys += [f"segmentation.who.{d}" for d in profiles.MIX_DIMENSIONS]
    keys += [f"keyacc.col.{c}" for c in key_accounts.KEY_ACCOUNT_COLUMNS] + [f"keyacc.col.{b}" for b in key_accounts.BY]
    for lang in i18n.LANGUAGES:
        assert [k for k in keys if not i18n.has_key(k, lang)] == []


def test_placeholders_agree_between_languages():
    field = re.compile(r"{(\w+)}")
    zh, en = i18n.catalog("zh"), i18n.catalog("en")
    differing = [k for k in zh if set(field.findall(zh[k])) != set(field.findall(en[k]))]
    assert differing == []


@pytest.mark.parametrize("value, lang", [
    ("zh", "zh"), ("zh-CN", "zh"), ("zh_CN", "zh"), ("zh-TW", "zh"), ("zh-Hans", "zh"), ("zh-Hant-HK", "zh"),
    ("ZH-cn", "zh"), ("en", "en"), ("en-US", "en"), ("en_GB", "en"), ("de-DE", "en"), ("fr", "en"), ("ja-JP", "en"),
    ("xx", "en"),
])
def test_chinese_locales_get_chinese_and_every_other_language_english(value, lang):
    assert i18n.normalise_language(value) == lang


@pytest.mark.parametrize("value", [None, "", "  "])
def test_no_language_at_all_gets_the_home_market_chinese(value):
    assert i18n.normalise_language(value) == "zh"
