"""Telegram handlers, one module per area, each with a ``register(application)``."""
