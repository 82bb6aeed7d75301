from django.contrib import admin

from gan_imaging.admin import GanImagingAdminMixin
from shop.catalog.models import Product


@admin.register(Product)
class ProductAdmin(GanImagingAdminMixin, admin.ModelAdmin):
    list_display = ("name", "price", "gan_status")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
