# One date format across the board, the pledge page and the admin: "14 Dec
# 2026" reads the same in every English locale, where "12/14/2026" and
# "14/12/2026" do not. Input formats stay Django's for the locale.
DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "M Y"
TIME_FORMAT = "H:i"
