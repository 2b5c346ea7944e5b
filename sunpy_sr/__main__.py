"""``python -m sunpy_sr``: the ``sunpy-sr`` command line."""
import sys

from sunpy_sr.cli import main

sys.exit(main())
