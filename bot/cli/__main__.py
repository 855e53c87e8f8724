"""``python -m bot.cli``: the same command line as ``skillbot``."""

import sys

from bot.cli.commands import main

sys.exit(main())
