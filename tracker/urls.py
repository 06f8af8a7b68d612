from django.urls import path, register_converter

from . import (
    assessment_views,
    checkin_views,
    import_views,
    milestone_views,
    money_views,
    reply_views,
    report_views,
    views,
)
from .bulk_views import commitments_bulk
from .language_views import switch as language_switch
from .publishing_views import commitment_publish

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
    path("commitments.xlsx", views.commitments_xlsx, name="commitments-xlsx"),
    path("commitments/bulk/", commitments_bulk, name="commitments-bulk"),
    path("commitments/<int:pk>/", views.commitment_detail, name="commitment-detail"),
    path("commitments/<int:pk>/publish/", commitment_publish, name="commitment-publish"),
    path("commitments/<int:pk>/updates/", views.commitment_record_update, name="commitment-record-update"),
    path("language/", language_switch, name="language"),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/calendar-token/", views.calendar_token_reset, name="calendar-token-reset"),
    path("calendar/<calendar_token:token>.ics", views.calendar_feed, name="calendar"),
    path("extract/", views.extract, name="extract"),
    path("import/", import_views.import_page, name="import"),
    path("import/template.xlsx", import_views.import_template, name="import-template"),
    path("import/<int:pk>/", import_views.import_detail, name="import-detail"),
    path("import/<int:pk>/confirm/", import_views.import_confirm, name="import-confirm"),
    path("checkin/<str:token>/", checkin_views.checkin, name="checkin"),
    path("reply/<str:token>/", reply_views.reply, name="reply"),
    path("replies/files/<int:pk>/", reply_views.reply_file, name="reply-file"),
    path("commitments/<int:pk>/requests/", reply_views.commitment_request, name="commitment-request"),
    path("requests/<int:pk>/withdraw/", reply_views.request_withdraw, name="request-withdraw"),
    path("replies/<int:pk>/accept/", reply_views.reply_accept, name="reply-accept"),
    path("replies/<int:pk>/dismiss/", reply_views.reply_dismiss, name="reply-dismiss"),
    path("commitments/<int:pk>/members/", assessment_views.commitment_members, name="commitment-members"),
    path("commitments/<int:pk>/money/", money_views.money_line_add, name="money-line-add"),
    path("money-lines/<int:pk>/", money_views.money_line_change, name="money-line-change"),
    path("money-lines/<int:pk>/delete/", money_views.money_line_delete, name="money-line-delete"),
    path("commitments/<int:pk>/milestones/", milestone_views.milestone_add, name="milestone-add"),
    path("milestones/<int:pk>/", milestone_views.milestone_change, name="milestone-change"),
    path("milestones/<int:pk>/delete/", milestone_views.milestone_delete, name="milestone-delete"),
    path("assessments/", assessment_views.cycle_list, name="cycle-list"),
    path("assessments/new/", assessment_views.cycle_create, name="cycle-create"),
    path("assessments/<int:pk>/", assessment_views.cycle_detail, name="cycle-detail"),
    path("assessments/<int:pk>/pledges/", assessment_views.cycle_pledges, name="cycle-pledges"),
    path("assessments/<int:pk>/state/", assessment_views.cycle_state, name="cycle-state"),
    path("assessments/<int:pk>/copy/", assessment_views.cycle_copy, name="cycle-copy"),
    path("assessments/<int:pk>/draft-scores/", assessment_views.cycle_draft_scores, name="cycle-draft-scores"),
    path(
        "assessments/<int:pk>/pledges/<int:commitment_id>/scores/",
        assessment_views.cycle_score,
        name="cycle-score",
    ),
    path(
        "assessments/<int:pk>/pledges/<int:commitment_id>/criteria/",
        assessment_views.cycle_criteria,
        name="cycle-criteria",
    ),
    path("assessments/<int:pk>/scores/<int:score_id>/revise/", assessment_views.cycle_revise, name="cycle-revise"),
    path("assessments/<int:pk>/report/", report_views.cycle_report, name="cycle-report"),
    path("assessments/<int:pk>/report.csv", report_views.cycle_report_csv, name="cycle-report-csv"),
    path("assessments/<int:pk>/report.pdf", report_views.cycle_report_pdf, name="cycle-report-pdf"),
]
