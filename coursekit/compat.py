"""What Python 3.10 lacks and the kit uses: `StrEnum` (3.11) and `UTC` (3.11). One place, so that the rest of the
code reads as on a current Python."""

from __future__ import annotations

import sys
from datetime import timezone
from enum import Enum

__all__ = ["UTC", "StrEnum"]

UTC = timezone.utc  # noqa: UP017 (datetime.UTC is new in 3.11)

if sys.version_info >= (3, 11):  # noqa: UP036 (the kit supports 3.10)
    from enum import StrEnum
else:  # pragma: no cover - exercised on Python 3.10 only

    class StrEnum(str, Enum):  # noqa: UP042
        """An Enum whose members are strings and print as their value, as 3.11's `enum.StrEnum`."""

        def __str__(self) -> str:
            return str(self.value)

        def __format__(self, spec: str) -> str:
            return str.__format__(str(self.value), spec)
