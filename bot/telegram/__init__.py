"""The Telegram channel (python-telegram-bot v22): ``app`` builds and runs the Application,
``handlers/`` answer updates (one module per area), ``context`` gives them the services, and
``keyboards``, ``texts``, ``formatting``, ``throttle`` and ``delivery`` do the Telegram-shaped
work around the engine."""
