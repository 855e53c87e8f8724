"""The ``skillbot`` command line: the parser and its sub-commands (``commands``), the console
conversation and batch protocol (``console``), notices (``notify``), the unanswered-question
report (``report``) and the schema (``db``)."""

from bot.cli.commands import main

__all__ = ["main"]
