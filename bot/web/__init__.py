"""The hotline lookup page and its JSON API (``skillbot web``), on the same engine and database."""
