import sys

from sunpy_sr.cli import main

sys.exit(main())
