"""`python -m promptregistry.cli`: the same as the `promptops` console script."""

import sys

from .entry import main

sys.exit(main())
