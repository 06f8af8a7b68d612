# Embeddable cards and status badges: the only routes other sites may frame.
app_name = "embed"

urlpatterns = []
