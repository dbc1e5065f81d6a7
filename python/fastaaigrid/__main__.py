"""python -m fastaaigrid: the same as fastaaigrid-convert."""
import sys

from .convert import main

if __name__ == "__main__":
    sys.exit(main())
