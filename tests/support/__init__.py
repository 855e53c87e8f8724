"""Test helpers shared by several test packages (the stand-in Telegram Bot API server)."""
