from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

admin.site.site_header = "Policy Commitment Tracker"
admin.site.site_title = "Commitment Tracker"
admin.site.index_title = "Pledges, follow-ups and who watches them"
admin.site.site_url = None  # no public site yet: the status board will be it

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("tracker.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", login_required(SpectacularSwaggerView.as_view(url_name="api-schema")), name="api-docs"),
    path("", include("tracker.urls")),
    # The status board will live at "/"; until then the admin is the way in.
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]
