"""Print the pins of a `pip freeze` that the kit's lock does not have (used by `make hub-lock`).

    python hub/lock_extras.py requirements-lock.txt FREEZE.txt

Names are compared as PyPI normalises them (case, and `-`, `_`, `.` alike); pip itself is left out.
"""

import re
import sys


def name(line: str) -> str:
    return re.sub(r"[-_.]+", "-", line.split("==", 1)[0].strip()).lower()


def main(lock: str, freeze: str) -> int:
    with open(lock, encoding="utf-8") as handle:
        known = {name(line) for line in handle if "==" in line and not line.startswith("#")}
    with open(freeze, encoding="utf-8") as handle:
        for line in handle:
            if "==" in line and name(line) not in known | {"pip"}:
                print(line.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
