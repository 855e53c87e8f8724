"""The database of every channel: engine and Alembic schema (``db``), the catalogue tables and
their loading from the data files (``models``, ``sync``), and the runtime state (``state``)."""
