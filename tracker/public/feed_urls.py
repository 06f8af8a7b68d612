# The Atom feeds, under each language's public prefix.
urlpatterns = []
