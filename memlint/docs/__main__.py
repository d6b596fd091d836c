"""`python -m memlint.docs`: regenerate docs/rules.md from the rule records."""

import sys

from memlint.docs import main

sys.exit(main())
