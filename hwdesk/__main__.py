"""``python -m hwdesk`` runs the console script."""

import sys

from hwdesk.cli import main

if __name__ == "__main__":
    sys.exit(main())
