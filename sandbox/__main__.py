"""``python -m rebilly_sandbox serve`` is the same as ``rebilly-sandbox serve``."""

import sys

from .cli import main

sys.exit(main())
