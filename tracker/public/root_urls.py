# sitemap.xml and robots.txt, at the site's root where crawlers look for them.
urlpatterns = []
