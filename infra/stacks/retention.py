"""CloudWatch Logs retention from a number of days (definitions.LOG_RETENTION_DAYS)."""

from __future__ import annotations

from aws_cdk import aws_logs

# The retention periods CloudWatch Logs accepts, by number of days.
_RETENTION_BY_DAYS: dict[int, aws_logs.RetentionDays] = {
    1: aws_logs.RetentionDays.ONE_DAY,
    3: aws_logs.RetentionDays.THREE_DAYS,
    5: aws_logs.RetentionDays.FIVE_DAYS,
    7: aws_logs.RetentionDays.ONE_WEEK,
    14: aws_logs.RetentionDays.TWO_WEEKS,
    30: aws_logs.RetentionDays.ONE_MONTH,
    60: aws_logs.RetentionDays.TWO_MONTHS,
    90: aws_logs.RetentionDays.THREE_MONTHS,
    120: aws_logs.RetentionDays.FOUR_MONTHS,
    150: aws_logs.RetentionDays.FIVE_MONTHS,
    180: aws_logs.RetentionDays.SIX_MONTHS,
    365: aws_logs.RetentionDays.ONE_YEAR,
    400: aws_logs.RetentionDays.THIRTEEN_MONTHS,
    545: aws_logs.RetentionDays.EIGHTEEN_MONTHS,
    731: aws_logs.RetentionDays.TWO_YEARS,
}


def retention(days: int) -> aws_logs.RetentionDays:
    try:
        return _RETENTION_BY_DAYS[days]
    except KeyError:
        raise ValueError(
            f"CloudWatch Logs has no {days}-day retention; use one of {sorted(_RETENTION_BY_DAYS)}"
        ) from None
