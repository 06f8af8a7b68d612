from django.urls import path

from . import views

app_name = "tracker"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("", views.board, name="board"),
    path("commitments.csv", views.commitments_csv, name="commitments-csv"),
    path("commitments/<int:pk>/", views.commitment_detail, name="commitment-detail"),
    path("commitments/<int:pk>/updates/", views.commitment_record_update, name="commitment-record-update"),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/calendar-token/", views.calendar_token_reset, name="calendar-token-reset"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar"),
    path("extract/", views.extract, name="extract"),
]
