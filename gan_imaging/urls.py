"""Include in the project: ``path("gan-imaging/", include("gan_imaging.urls"))``."""

from django.urls import path

from gan_imaging import tryon_views, views

app_name = "gan_imaging"
urlpatterns = [
    path("jobs/status/", views.job_status, name="job_status"),
    path("previews/<int:content_type_id>/<str:object_id>/", views.previews, name="previews"),
    path("focal-point/<int:content_type_id>/<str:object_id>/<str:field_name>/",
         views.focal_point, name="focal_point"),
    # Try it in your photo (storefront; answers the uploading session only).
    path("try-on/<int:content_type_id>/<str:object_id>/<str:field_name>/photo/",
         tryon_views.upload, name="tryon_upload"),
    path("try-on/<uuid:tryon_id>/render/", tryon_views.render, name="tryon_render"),
    path("try-on/<uuid:tryon_id>/", tryon_views.status, name="tryon_status"),
    path("try-on/<uuid:tryon_id>/delete/", tryon_views.delete, name="tryon_delete"),
    path("try-on/file/<str:token>/", tryon_views.file, name="tryon_file"),
]
