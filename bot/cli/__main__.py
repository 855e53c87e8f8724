"""``python -m bot.cli``: the same command line as ``skillbot``."""

import sys

from bot.cli.commands import main

if __name__ == "__main__":
    sys.exit(main())
