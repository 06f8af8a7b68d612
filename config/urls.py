from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

admin.site.site_header = _("Policy Commitment Tracker")
admin.site.site_title = _("Commitment Tracker")
admin.site.index_title = _("Pledges, follow-ups and who watches them")
admin.site.site_url = "/"  # "View site" leads to the status board

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include("tracker.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file of its own:
    # the Content-Security-Policy allows no inline script. Swagger UI does set
    # one inline style, allowed on this page only (styles cannot run code).
    path(
        "api/docs/",
        login_required(
            csp_update({"style-src": [UNSAFE_INLINE]})(SpectacularSwaggerSplitView.as_view(url_name="api-schema"))
        ),
        name="api-docs",
    ),
    path("", include("tracker.public.root_urls")),
    path("embed/", include("tracker.public.embed_urls")),
    path("", include("tracker.urls")),
]
urlpatterns += i18n_patterns(path("public/", include("tracker.public.urls")))
