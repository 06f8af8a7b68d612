from django.urls import path, register_converter

from . import checkin_views, views

app_name = "tracker"


class CalendarTokenConverter:
    """The alphabet of secrets.token_urlsafe: anything else (a NUL byte, a slash) names no calendar and is a 404."""

    regex = "[A-Za-z0-9_-]{1,64}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(CalendarTokenConverter, "calendar_token")

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("", views.board, name="board"),
    path("commitments.csv", views.commitments_csv, name="commitments-csv"),
    path("commitments/<int:pk>/", views.commitment_detail, name="commitment-detail"),
    path("commitments/<int:pk>/updates/", views.commitment_record_update, name="commitment-record-update"),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/calendar-token/", views.calendar_token_reset, name="calendar-token-reset"),
    path("calendar/<calendar_token:token>.ics", views.calendar_feed, name="calendar"),
    path("extract/", views.extract, name="extract"),
    path("checkin/<str:token>/", checkin_views.checkin, name="checkin"),
]
