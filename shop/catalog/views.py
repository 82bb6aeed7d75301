from django.shortcuts import get_object_or_404, render

from shop.catalog.models import Product

#: The banner size the storefront's offer strip shows (a social link-preview size).
HOME_BANNER = (1200, 628)


def product_list(request):
    products = list(Product.objects.all())
    banners = [
        (r, p) for p in products[:8] for r in p.image.rendition_list()  # type: ignore[attr-defined]
        if r.kind == "banners" and r.file and (r.width, r.height) == HOME_BANNER
    ]
    return render(request, "catalog/product_list.html",
                  {"products": products, "banners": banners})


def product_detail(request, slug):
    product = get_object_or_404(Product, slug=slug)
    # The gallery: the packshot first, then the scenes (the transparent cutouts are for reuse).
    renders = sorted(
        (r for r in product.image.rendition_list()  # type: ignore[attr-defined]
         if r.kind == "renders" and r.file and not r.spec_key.startswith("cutout")),
        key=lambda r: (not r.spec_key.startswith("packshot"), r.spec_key),
    )
    return render(request, "catalog/product_detail.html", {"product": product, "renders": renders})
