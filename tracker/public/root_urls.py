# sitemap.xml and robots.txt, at the site's root where crawlers look for them.
from django.urls import path

from . import views

urlpatterns = [
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path("sitemap.xml", views.sitemap_index, name="public-sitemap"),
    path("sitemap-<str:section>.xml", views.sitemap_section, name="public-sitemap-section"),
]
