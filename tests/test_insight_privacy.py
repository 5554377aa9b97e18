"""The ``privacy:`` config section and the /privacy text built from it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kooch.config import Config, ConfigInvalid, PrivacyConfig, parse_config
from kooch.subscribers.privacy import privacy_text
from tests.bidi_kit import assert_reads_right, plain
from tests.kit import base_config


def config_with(tmp_path: Path, **top: Any) -> Config:
    raw = base_config(tmp_path)
    raw.update(top)
    return parse_config(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), base_dir=tmp_path)


def test_privacy_defaults(tmp_path: Path) -> None:
    assert config_with(tmp_path).privacy == PrivacyConfig(retention_days=None, export_user_ids=False)
    config = config_with(tmp_path, privacy={"retention_days": 90, "export_user_ids": True})
    assert config.privacy == PrivacyConfig(retention_days=90, export_user_ids=True)


@pytest.mark.parametrize(
    ("privacy", "path", "words"),
    [
        ({"retention_days": 0}, "privacy.retention_days", "at least 1"),
        ({"retention_days": "30d"}, "privacy.retention_days", "whole number of days"),
        ({"retention_days": True}, "privacy.retention_days", "whole number of days"),
        ({"export_user_ids": "yes"}, "privacy.export_user_ids", "true or false"),
        ({"retention": 30}, "privacy.retention", "did you mean 'retention_days'"),
    ],
    ids=["zero", "text", "bool", "ids-not-bool", "typo"],
)
def test_bad_privacy_sections_are_named(
    tmp_path: Path, privacy: dict[str, Any], path: str, words: str
) -> None:
    with pytest.raises(ConfigInvalid) as info:
        config_with(tmp_path, privacy=privacy)
    errors = [e for e in info.value.errors if e.path == path]
    assert len(errors) == 1, info.value.errors
    assert words in errors[0].message
    assert errors[0].line is not None


def test_privacy_text_follows_retention_exports_and_operators(tmp_path: Path) -> None:
    plain = privacy_text(config_with(tmp_path), "en")
    assert "How long: until you send /forget." in plain
    assert "Who sees it: only the channel's operator in this bot." in plain
    assert "you appear as a code, not your id" in plain
    assert "never who clicked" in plain

    strict = privacy_text(
        config_with(tmp_path, operators=[1, 2, 3], privacy={"retention_days": 60, "export_user_ids": True}),
        "en",
    )
    assert "How long: 60 days, then it is deleted automatically" in strict
    assert "only the channel's 3 operators in this bot" in strict
    assert "with your Telegram id in it" in strict
    assert "you appear as a code" not in strict


def test_persian_privacy_text_and_an_admins_own_words_first(tmp_path: Path) -> None:
    fa = privacy_text(config_with(tmp_path, privacy={"retention_days": 14}), "fa")
    assert plain(fa).startswith("آنچه ربات کوچ دربارهٔ شما نگه می‌دارد و تا چه زمانی:")
    assert "تا چه زمانی: ۱۴ روز" in plain(fa)
    assert_reads_right([fa])
    own = "Questions: privacy@example.org"
    config = config_with(tmp_path, texts={"en": {"privacy": own}})
    text = privacy_text(config, "en")
    assert text.startswith(own + "\n\nWhat Kooch keeps about you")
    assert len(text) <= 4096
