"""gan_imaging.core is pure: importing it must not load Django or Celery."""

import subprocess
import sys


def test_core_imports_without_django_or_celery():
    code = (
        "import sys\n"
        "import gan_imaging.core, gan_imaging.core.pipelines, gan_imaging.core.imaging.decode\n"
        "import gan_imaging.core.imaging.encode, gan_imaging.core.specs\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'celery', 'kombu'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""


def test_thumbnail_core_does_not_load_torch():
    # CPU thumbnail workers should not pay for importing torch.
    code = (
        "import sys\nimport gan_imaging.core.pipelines\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "False"
