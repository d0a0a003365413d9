"""One way to write a moment on every page: 24-hour clock, day before month ("6 Dec 2026
14:02"). English's own formats ("Dec. 6, 2026", "2:02 p.m.") beat the settings' DATE_FORMAT
and friends, so the site's formats live here (FORMAT_MODULE_PATH)."""
DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y H:i"
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "M Y"
