from django.urls import include, path

app_name = "public"

# Served under each language's prefix: /en/public/, /fr/public/, /sw/public/.
urlpatterns = [
    path("", include("tracker.public.feed_urls")),
]
