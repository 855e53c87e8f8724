"""bot.settings: the environment read once, malformed values refused without echoing the
token."""

from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError

GOOD = "123456789:AAHabcdefghijklmnopqrstuvwxyz0123456"


def test_settings_from_env() -> None:
    s = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": GOOD,
            "SKILLBOT_ADMINS": "1, 2",
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
            "TELEGRAM_WEBHOOK_SECRET": "abc_DEF-1",
        }
    )
    assert s.admins == {1, 2} and s.is_admin(1) and not s.is_admin(3)
    assert (s.api_base_url, s.api_base_file_url) == (
        "http://127.0.0.1:8081/bot",
        "http://127.0.0.1:8081/file/bot",
    )
    assert s.webhook_secret == "abc_DEF-1" and s.database_url is None
    assert GOOD not in repr(s) and "abc_DEF-1" not in repr(s)
    generated = Settings.from_env({"TELEGRAM_BOT_TOKEN": GOOD})
    assert generated.api_base_url == "https://api.telegram.org/bot"
    assert len(generated.webhook_secret) >= 32


def test_delivery_settings_are_read_with_the_others() -> None:
    """SKILLBOT_DELIVERY / SKILLBOT_NOTIFY_RATE / SKILLBOT_DELIVERY_INTERVAL live in Settings;
    the notice feature takes them from there, never from os.environ itself."""
    default = Settings.from_env({"TELEGRAM_BOT_TOKEN": GOOD})
    assert (default.delivery, default.notify_rate, default.delivery_interval) == (True, 30.0, 2.0)
    s = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": GOOD,
            "SKILLBOT_DELIVERY": "off",
            "SKILLBOT_NOTIFY_RATE": "7.5",
            "SKILLBOT_DELIVERY_INTERVAL": "0.5",
            "SKILLBOT_ADMINS": "9",
        }
    )
    assert (s.delivery, s.notify_rate, s.delivery_interval) == (False, 7.5, 0.5)
    with pytest.raises(SettingsError, match="SKILLBOT_NOTIFY_RATE"):
        Settings.from_env({"TELEGRAM_BOT_TOKEN": GOOD, "SKILLBOT_NOTIFY_RATE": "0"})


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"TELEGRAM_BOT_TOKEN": "123:short"},
        {"TELEGRAM_BOT_TOKEN": GOOD + " extra"},
        {"TELEGRAM_BOT_TOKEN": GOOD, "SKILLBOT_ADMINS": "alice"},
        {"TELEGRAM_BOT_TOKEN": GOOD, "TELEGRAM_API_BASE_URL": "127.0.0.1:8081"},
        {"TELEGRAM_BOT_TOKEN": GOOD, "TELEGRAM_WEBHOOK_SECRET": "has space"},
        {"TELEGRAM_BOT_TOKEN": GOOD, "SKILLBOT_NOTIFY_RATE": "0"},
        {"TELEGRAM_BOT_TOKEN": GOOD, "SKILLBOT_NOTIFY_RATE": "-5"},
        {"TELEGRAM_BOT_TOKEN": GOOD, "SKILLBOT_NOTIFY_RATE": "fast"},
        {"TELEGRAM_BOT_TOKEN": GOOD, "SKILLBOT_NOTIFY_RATE": "nan"},
        {"TELEGRAM_BOT_TOKEN": GOOD, "SKILLBOT_DELIVERY_INTERVAL": "0"},
        {"TELEGRAM_BOT_TOKEN": GOOD, "SKILLBOT_DELIVERY": "maybe"},
    ],
)
def test_bad_settings_are_refused_without_echoing_the_token(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env(env)
    assert "AAHabcdefghijklmnop" not in str(error.value) and "short" not in str(error.value)


def test_notice_sender() -> None:
    default = Settings.from_env({"TELEGRAM_BOT_TOKEN": GOOD})
    assert default.notice_sender == "淮安职业培训补贴通知"
    s = Settings.from_env(
        {"TELEGRAM_BOT_TOKEN": GOOD, "SKILLBOT_NOTICE_SENDER": " 淮安市职业培训中心 "}
    )
    assert s.notice_sender == "淮安市职业培训中心"
    for name, bad in (("SKILLBOT_NOTICE_SENDER", "两\n行"), ("SKILLBOT_NOTICE_SENDER", "长" * 65)):
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({"TELEGRAM_BOT_TOKEN": GOOD, name: bad})


def test_people_and_page_settings_from_the_environment() -> None:
    env = {
        "SKILLBOT_STAFF_CHAT": "-1001234567890",
        "SKILLBOT_HANDOFF_TIMEOUT": "90s",
        "SKILLBOT_HANDOFF_SHOW_STAFF": "1",
        "SKILLBOT_WEB_TOKEN": "desk-secret-token-123456",
        "SKILLBOT_WEB_URL": "https://bot.example.org/lookup",
        "SKILLBOT_WEB_STAFF_ONLY": "0",
    }
    settings = Settings.from_env(env, require_token=False)
    assert settings.staff_chat == -1001234567890 and settings.handoff_timeout == 90.0
    assert settings.handoff_show_staff and not settings.web_staff_only
    assert settings.web_url == "https://bot.example.org/lookup"
    assert "desk-secret-token" not in repr(settings)
    assert "desk-secret-token-123456" in settings.secrets
    defaults = Settings.from_env({}, require_token=False)
    assert defaults.staff_chat is None and defaults.handoff_timeout == 1800.0
    assert defaults.web_staff_only and not defaults.handoff_show_staff


def test_bad_people_settings_name_the_variable() -> None:
    for name, value in [
        ("SKILLBOT_STAFF_CHAT", "staff"),
        ("SKILLBOT_HANDOFF_TIMEOUT", "-5"),
        ("SKILLBOT_WEB_URL", "http://insecure.example.org"),
    ]:
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({name: value}, require_token=False)
