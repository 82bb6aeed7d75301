from django.shortcuts import get_object_or_404, render

from shop.catalog.models import Product


def product_list(request):
    return render(request, "catalog/product_list.html", {"products": Product.objects.all()})


def product_detail(request, slug):
    product = get_object_or_404(Product, slug=slug)
    return render(request, "catalog/product_detail.html", {"product": product})
