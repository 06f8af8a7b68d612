# The Atom feeds, under each language's public prefix: public pages like the others (rate limit, cache headers, 404).
from django.urls import path

from . import feeds
from .views import public_page

urlpatterns = [
    path("feed/", public_page(feeds.StatusChangesFeed()), name="feed"),
    path("actors/<int:pk>/feed/", public_page(feeds.ActorStatusChangesFeed()), name="actor-feed"),
]
