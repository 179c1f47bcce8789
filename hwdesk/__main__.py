"""``python -m hwdesk`` runs the console script."""

import sys

from hwdesk.cli import main

sys.exit(main())
