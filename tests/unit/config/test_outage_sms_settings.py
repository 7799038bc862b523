"""`[outage_sms]` in helpline.toml: the shipped values, and every bad value named by its key."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from config.errors import ConfigError
from config.settings import OUTAGE_WORDS, load_settings
from outages.faults import FaultLevel

EditConfig = Callable[[str, str], Path]  # the `config_with` fixture (conftest.py)


def test_the_shipped_settings() -> None:
    settings = load_settings({})
    config = settings.outage_sms
    assert config.enabled and config.etr_updates
    assert config.levels == frozenset(FaultLevel)
    assert (config.repeat_after_hours, config.etr_change_minutes) == (6.0, 30)
    assert config.bulk_per_second == 20.0
    assert set(config.words) == set(OUTAGE_WORDS)
    for kind in ("outage", "etr_updated", "restored"):
        assert settings.sms_templates[kind]["template_id"].isdigit()


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("enabled = true", "enabled = 1", "outage_sms.enabled"),
        ('levels = ["substation", "feeder", "transformer"]', 'levels = ["feeder", "dtr"]',
         "outage_sms.levels"),
        ('levels = ["substation", "feeder", "transformer"]', "levels = []", "outage_sms.levels"),
        ("repeat_after_hours = 6", "repeat_after_hours = -1", "outage_sms.repeat_after_hours"),
        ("etr_change_minutes = 30", "etr_change_minutes = 0", "outage_sms.etr_change_minutes"),
        ("etr_change_minutes = 30", 'etr_change_minutes = "30"', "outage_sms.etr_change_minutes"),
        ("etr_updates = true", 'etr_updates = "yes"', "outage_sms.etr_updates"),
        ("bulk_per_second = 20", "bulk_per_second = 0", "outage_sms.bulk_per_second"),
        ("bulk_per_second = 20", "bulk_per_second = 20\nbulk_rate = 5", "outage_sms.bulk_rate"),
        ('flood = { hi = "बाढ़", en = "flooding" }', "", "outage_sms.words.flood"),
        ('flood = { hi = "बाढ़", en = "flooding" }', 'flood = { hi = "बाढ़" }',
         "outage_sms.words.flood"),
        ('flood = { hi = "बाढ़", en = "flooding" }', 'floods = { hi = "बाढ़", en = "flooding" }',
         "outage_sms.words.floods"),
        ("[sms.etr_updated]", "[sms.etr_update]", "sms.etr_updated"),
    ],
)  # fmt: skip
def test_a_bad_value_stops_start_up_naming_its_key(
    config_with: EditConfig, old: str, new: str, key: str
) -> None:
    folder = config_with(old, new)
    with pytest.raises(ConfigError, match=re.escape(key)):
        load_settings({}, config_dir=folder)


def test_without_etr_updates_their_template_is_not_needed(config_with: EditConfig) -> None:
    folder = config_with("etr_updates = true", "etr_updates = false")
    text = (folder / "helpline.toml").read_text(encoding="utf-8")
    (folder / "helpline.toml").write_text(
        text.replace("[sms.etr_updated]", "[sms.unused_kind]"), encoding="utf-8"
    )
    assert load_settings({}, config_dir=folder).outage_sms.etr_updates is False


def test_a_file_without_the_section_keeps_outage_sms_off(config_with: EditConfig) -> None:
    folder = config_with("[outage_sms]", "[unused_section]")
    text = (folder / "helpline.toml").read_text(encoding="utf-8")
    start = text.index("[unused_section]")
    (folder / "helpline.toml").write_text(text[:start], encoding="utf-8")
    assert load_settings({}, config_dir=folder).outage_sms.enabled is False
