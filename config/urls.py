from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Policy Commitment Tracker"
admin.site.site_title = "Commitment Tracker"
admin.site.index_title = "Pledges, follow-ups and who watches them"
admin.site.site_url = "/"  # "View site" leads to the status board

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("tracker.urls")),
]
