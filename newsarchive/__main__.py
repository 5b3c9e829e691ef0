"""Allow ``python -m newsarchive``."""

from newsarchive.cli import main

main()
