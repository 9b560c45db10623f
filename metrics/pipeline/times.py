"""Calendar arithmetic of runs: the as-of of a request, windows, months (all UTC)."""

from datetime import UTC, datetime, timedelta


def as_of_minute(moment: datetime) -> datetime:
    """Return the as-of of a run requested at *moment*: rounded up to the whole minute, so the
    run includes everything up to its request and two runs requested in the same minute are
    the same run."""
    floor = moment.replace(second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(minutes=1)


def months_before(moment: datetime, months: int) -> datetime:
    """Return the same day and time *months* calendar months earlier (day clamped to the month)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    next_month = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=moment.tzinfo)
    last_day = (next_month - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def month_start(moment: datetime, months_back: int = 0) -> datetime:
    """Return midnight (UTC) of the first day of the month *months_back* months before *moment*."""
    first = moment.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return months_before(first, months_back)


def midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def window_start(as_of: datetime, days: int) -> datetime:
    """Return the start of a window of *days* whole UTC days ending with as_of's (partial) day."""
    return midnight(as_of) - timedelta(days=days - 1)


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
