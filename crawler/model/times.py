"""An instant a person gives (`-a since`, `newsmon export --since`, the web API's `since`): ISO 8601 or an age.

Here, not in consumers, because discovery (the spider's `since`) and consumers (filters) read it alike.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

RELATIVE = re.compile(r"^(\d{1,6})\s*([mhdw])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_instant(raw: str, name: str = "time", now: datetime | None = None) -> datetime:
    """ISO 8601 (`2025-05-03`, `2025-05-03T10:15`, with `Z` or an offset; no zone means UTC) or an age (`6h`), as
    an aware UTC datetime; ValueError naming `name` and what it accepts."""
    relative = RELATIVE.match(raw)
    try:
        if relative:
            amount, unit = relative.groups()
            return (now or datetime.now(UTC)) - timedelta(**{UNITS[unit]: int(amount)})
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"{name}: {raw!r} is neither an ISO date/time nor an age like 30m, 6h, 2d, 1w") from None
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:  # 999999w ago, or 0001-01-01T00:00+01:00 in UTC: before year 1 (or after 9999)
        raise ValueError(f"{name}: {raw!r} is out of range (years 1 to 9999 in UTC)") from None
