"""English date formats: international day-month-year and a 24-hour clock, not the US 12/02/2026.

Pages show one style: every template uses the SHORT_* formats, so these are the ones that count;
the long ones are set to the same style for anything that asks for them.
"""

DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
