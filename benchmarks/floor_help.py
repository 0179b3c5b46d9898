"""Floor for `ipt --help`: start Python and print the same help text, read from a file.

    python benchmarks/floor_help.py HELP.txt

Includes the interpreter's start-up and writing the text. Leaves out importing typer and
rich and laying the text out, which is what the tool spends the difference on.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.stdout.write(Path(sys.argv[1]).read_text(encoding="utf-8"))
