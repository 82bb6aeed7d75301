"""Include in the project: ``path("gan-imaging/", include("gan_imaging.urls"))``."""

from django.urls import path

from gan_imaging import views

app_name = "gan_imaging"
urlpatterns = [
    path("jobs/status/", views.job_status, name="job_status"),
    path("previews/<int:content_type_id>/<str:object_id>/", views.previews, name="previews"),
    path("focal-point/<int:content_type_id>/<str:object_id>/<str:field_name>/",
         views.focal_point, name="focal_point"),
]
