"""README stays true: the settings table is generated from conf.py, every system check is
documented, and the install guide keeps to six steps."""

import importlib.util
import re
from pathlib import Path

import pytest

from gan_imaging.conf import DEFAULTS

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _settings_table():
    spec = importlib.util.spec_from_file_location("settings_table",
                                                  ROOT / "scripts" / "settings_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start: end if end != -1 else None]


def test_settings_table_is_up_to_date():
    st = _settings_table()
    assert st.render(README) == README, "run: python scripts/settings_table.py"
    assert st.main(["--check"]) == 0
    documented = re.findall(r"^\| `([A-Z_]+)` \|", README, flags=re.M)
    assert documented[: len(DEFAULTS)] == list(DEFAULTS)


def test_settings_table_follows_conf_py():
    st = _settings_table()
    source = (ROOT / "gan_imaging" / "conf.py").read_text(encoding="utf-8")
    changed = source.replace('"MAX_ATTEMPTS": 3,', '"MAX_ATTEMPTS": 4,')
    assert changed != source
    assert "| `MAX_ATTEMPTS` | `4` |" in st.table(changed)
    assert st.render(README, changed) != README  # --check would fail on a stale README
    undocumented = source.replace('"MAX_ATTEMPTS": 3,', '"MAX_ATTEMPTS": 3,\n    "NEW_KEY": 1,')
    with pytest.raises(SystemExit, match="NEW_KEY"):
        st.table(undocumented)


def test_every_system_check_id_is_documented():
    ids = set(re.findall(r'id="(gan_imaging\.[EW]\d{3})"',
                         (ROOT / "gan_imaging" / "checks.py").read_text(encoding="utf-8")))
    assert ids
    documented = set(re.findall(r"^\| `(gan_imaging\.[EW]\d{3})` \|", README, flags=re.M))
    assert ids == documented


def test_install_guide_has_at_most_six_steps_and_names_real_code():
    guide = _section("Install into an existing shop")
    steps = re.findall(r"^(\d+)\. ", guide, flags=re.M)
    assert 1 <= len(steps) <= 6
    from gan_imaging.admin import GanImagingAdminMixin  # noqa: F401 - named in step 5
    from gan_imaging.fields import GanImageField  # noqa: F401 - named in step 4

    for name in ("GanImagingAdminMixin", "GanImageField", "gan_imaging.urls", "LocaleMiddleware"):
        assert name in guide, name


def test_admin_picture_is_committed_and_small():
    picture = ROOT / "docs" / "admin.png"
    assert "docs/admin.png" in README
    data = picture.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) < 300 * 1024
