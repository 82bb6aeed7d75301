"""zh-Hans: complete catalogues, compiled and committed; the admin, failure reasons and system
checks appear in Chinese for a Chinese browser, and stay English otherwise."""

import ast
import gettext
import re
import sys
from pathlib import Path

import pytest
from django.core import checks
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import translation
from django.utils.html import escape

from gan_imaging import jobs
from gan_imaging.models import Job
from shop.catalog.models import Product
from tests.app.test_admin import LIST_URL, make_product

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = [
    ROOT / "gan_imaging/locale/zh_Hans/LC_MESSAGES/django.po",
    ROOT / "shop/locale/zh_Hans/LC_MESSAGES/django.po",
]
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def read_po(path: Path) -> list[dict]:
    """Entries of a .po file: msgid, msgid_plural, msgstr list, flags."""
    entries: list[dict] = []
    entry: dict | None = None
    key = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith(("msgid ", "#")) and entry is not None and entry["msgstr"]:
            entries.append(entry)
            entry = None
        if not line:
            continue
        if entry is None:
            entry = {"msgid": "", "msgid_plural": None, "msgstr": [], "flags": ""}
        if line.startswith("#,"):
            entry["flags"] += line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if key.startswith("msgstr"):
                entry["msgstr"][-1] += value
            else:
                entry[key] += value
        else:
            key, _, rest = line.partition(" ")
            if key.startswith("msgstr"):
                entry["msgstr"].append(ast.literal_eval(rest))
            else:
                entry[key] = ast.literal_eval(rest)
    if entry is not None:
        entries.append(entry)
    return entries


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\(\w+\)[sd]", text))


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-5])
def test_every_message_is_translated_and_the_committed_mo_matches(po):
    entries = [e for e in read_po(po) if e["msgid"]]
    assert len(entries) >= 5
    for e in entries:
        assert "fuzzy" not in e["flags"], e["msgid"]
        assert e["msgstr"] and all(s.strip() for s in e["msgstr"]), e["msgid"]
        for s in e["msgstr"]:
            assert placeholders(s) == placeholders(e["msgid"]), e["msgid"]
    with po.with_suffix(".mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    for e in entries:
        if e["msgid_plural"] is None:
            assert compiled.gettext(e["msgid"]) == e["msgstr"][0], f"stale .mo: {e['msgid']}"


def extracted_catalogue(tmp_path: Path, sources: dict[str, str], locale: str) -> Path:
    """Run ``makemessages -l zh_Hans`` over a copy of ``sources`` ({copy name: repo path})
    whose catalogue is a copy of ``locale`` (a repo ``locale/`` folder), as a developer would
    after changing a message: msgmerge leaves new messages empty and near-misses fuzzy."""
    import os
    import shutil
    import subprocess

    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("GNU gettext is required under CI=true (apt-get install gettext)")
        pytest.skip("GNU gettext (xgettext, msgmerge) is not installed")
    work = tmp_path / "extract"
    for name, source in sources.items():
        shutil.copytree(ROOT / source, work / name,
                        ignore=shutil.ignore_patterns("locale", "__pycache__", "*.mo"))
    shutil.copytree(ROOT / locale, work / "locale")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    django_admin = Path(sys.executable).with_name("django-admin")
    subprocess.run([str(django_admin), "makemessages", "-l", "zh_Hans", "--no-obsolete"],
                   cwd=work, env=env, check=True, capture_output=True, timeout=300)
    return work / "locale/zh_Hans/LC_MESSAGES/django.po"


@pytest.mark.parametrize(("sources", "locale"), [
    ({"gan_imaging": "gan_imaging"}, "gan_imaging/locale"),
    ({"shop": "shop", "templates": "templates"}, "shop/locale"),
], ids=["gan_imaging", "shop"])
def test_every_translatable_string_in_the_code_has_a_chinese_entry(tmp_path, sources, locale):
    po = extracted_catalogue(tmp_path, sources, locale)
    missing = [e["msgid"] for e in read_po(po) if e["msgid"] and (
        "fuzzy" in e["flags"] or not e["msgstr"] or not all(x.strip() for x in e["msgstr"]))]
    assert missing == [], f"{len(missing)} messages lack a zh-Hans translation:\n" + "\n".join(
        missing)


def test_admin_change_list_is_in_chinese(admin_client):
    make_product()
    page = admin_client.get(LIST_URL, **ZH).content.decode()
    assert 'lang="zh-hans"' in page
    assert "生成图片" in page and "重新生成图片" in page  # the actions
    assert "生成中…" in page  # the status column of a product whose job is queued
    assert "生成的图片" in page  # the list filter
    english = admin_client.get(LIST_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Regenerate renditions" in english and "重新生成图片" not in english


def test_product_change_page_is_in_chinese(admin_client):
    product = make_product()
    jobs.execute(Job.objects.get().pk, owner="w")
    page = admin_client.get(f"{LIST_URL}{product.pk}/change/", **ZH).content.decode()
    assert "生成的图片" in page  # the block's label
    assert "缩略图" in page  # the kind heading above the preview grid
    assert "就绪" in page and "已成功" in page  # field status and job status
    for header in ("类型", "状态", "进度", "尝试次数", "问题"):
        assert f"<th>{header}</th>" in page


def test_a_failed_jobs_reason_is_shown_in_the_readers_language(admin_client, media_root):
    product = make_product()
    job = Job.objects.get()
    (Path(media_root) / product.image.name).unlink()
    Job.objects.filter(pk=job.pk).update(max_attempts=1)
    assert jobs.execute(job.pk, owner="w").status == "failed"
    job.refresh_from_db()
    # Stored once, in English, with what it takes to translate it later.
    assert job.error_message.startswith("The photo could not be read from storage: ")
    assert job.error_params["template"] == "The photo could not be read from storage: %(error)s"
    detail = job.error_params["params"]["error"]
    assert detail and detail in job.error_message

    status = admin_client.get(f"/gan-imaging/jobs/status/?ids={job.pk}", **ZH).json()
    assert status["jobs"][0]["error"] == f"无法从存储中读取照片：{detail}"
    assert status["jobs"][0]["status_label"] == "已失败"
    page = admin_client.get(f"{LIST_URL}{product.pk}/change/", **ZH).content.decode()
    assert escape(f"无法从存储中读取照片：{detail}") in page
    english = admin_client.get(f"/gan-imaging/jobs/status/?ids={job.pk}").json()
    assert english["jobs"][0]["error"] == job.error_message


def test_reasons_without_parameters_and_stale_parameters():
    with translation.override("zh-hans"):
        job = Job(error_message="The photo was replaced; a newer job generates its images.")
        assert job.error_text == "照片已被替换；由更新的任务生成它的图片。"
        # Parameters left from an earlier attempt never relabel a newer reason.
        job.error_params = {"template": "Invalid training option: %(error)s",
                            "params": {"error": "x"}}
        assert job.error_text == "照片已被替换；由更新的任务生成它的图片。"
        assert Job(error_message="Something only a developer wrote.").error_text == (
            "Something only a developer wrote."
        )
        assert Job(error_message="").error_text == ""


def test_upload_errors_are_translated_on_the_form(admin_client):
    response = admin_client.post(
        f"{LIST_URL}add/",
        {"name": "Not a photo", "price": "1.00", "slug": "", "description": "",
         "image": SimpleUploadedFile("photo.jpg", b"these bytes are no image at all")},
        **ZH,
    )
    assert response.status_code == 200 and not Product.objects.exists()
    assert "该文件不是我们能读取的图片。请上传 " in response.content.decode()


def test_a_system_check_message_in_chinese():
    with override_settings(GAN_IMAGING={"MAX_PIXLES": 5, "CELERY_APP": "shop.celery.app"}):
        with translation.override("zh-hans"):
            found = [m for m in checks.run_checks() if m.id == "gan_imaging.E001"]
        assert found[0].msg == "未知的 GAN_IMAGING 设置项 'MAX_PIXLES'。"
        assert found[0].hint.startswith("可用的设置项：")
        with translation.override("en"):
            english = [m for m in checks.run_checks() if m.id == "gan_imaging.E001"]
        assert english[0].msg == "Unknown GAN_IMAGING setting 'MAX_PIXLES'."


def test_the_demo_storefront_is_in_chinese(client):
    page = client.get("/", **ZH).content.decode()
    assert "GAN Imaging 演示商店" in page and "<h1>商品</h1>" in page



def test_the_demo_labels_job_kinds_and_render_failures_read_in_chinese(admin_client):
    product = make_product()
    page = admin_client.get(LIST_URL, **ZH).content.decode()
    assert "商品目录" in page  # the app ("Catalog")
    assert ">名称<" in page and ">价格<" in page  # the columns ("Name", "Price")
    change = admin_client.get(f"{LIST_URL}{product.pk}/change/", **ZH).content.decode()
    assert "<td>缩略图</td>" in change  # the job's kind, not "thumbnails"
    assert "white-space:nowrap" in change  # the status never wraps one character a line
    with translation.override("zh-hans"):
        job = Job(error_message="No product could be found in this photo. Upload a photo where "
                                "the product stands out from its background, ideally on a "
                                "plain or white backdrop.")
        assert job.error_text.startswith("无法在这张照片中找到商品")
        assert Job(kind="renders").kind_label == "商品渲染图"
