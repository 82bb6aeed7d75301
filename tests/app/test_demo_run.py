"""``make demo``'s commands in a throwaway copy of the repository: nothing they write lands
outside ignored folders, and Ctrl-C stops the web server and the three workers (CPU, GPU and
try-on queues) within seconds, without error lines. Also: no broker state is committed."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


def test_no_broker_state_is_committed():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    assert git("ls-files", "control", cwd=ROOT) == ""


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """The working tree as git sees it (tracked and new files, not ignored ones), committed
    in a fresh repository, with this environment's .venv linked in (ignored)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout")
    files = git("ls-files", "-co", "--exclude-standard", "-z", cwd=ROOT).split("\0")
    copy = tmp_path / "repo"
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    git("init", "-q", cwd=copy)
    git("add", "-A", cwd=copy)
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "copy", cwd=copy)
    return copy


def processes_in(folder: Path) -> list[str]:
    """Command lines of the processes whose working directory is ``folder``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and Path(os.readlink(proc / "cwd")) == folder:
                found.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_demo_leaves_git_status_clean_and_stops_quickly_on_ctrl_c(repo_copy: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAN_SHOP_")}
    env.update(DJANGO_SETTINGS_MODULE="shop.settings", PYTHONUNBUFFERED="1")
    py = sys.executable
    for command in (["migrate", "--noinput", "-v0"], ["demo_setup", "--password", "pw"]):
        subprocess.run([py, "manage.py", *command], cwd=repo_copy, env=env, check=True,
                       capture_output=True, timeout=300)
    port = _free_port()
    log = repo_copy / "var" / "rundemo.log"
    with log.open("wb") as out:
        # A session of its own, like a terminal's foreground job: Ctrl-C signals the group.
        demo = subprocess.Popen([py, "manage.py", "rundemo", "--port", str(port)],
                                cwd=repo_copy, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                text = log.read_text(errors="replace")
                up = False
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                        up = r.status == 200
                except OSError:
                    pass
                if up and text.count(" ready.") >= 3:
                    break
                assert demo.poll() is None, text[-3000:]
                time.sleep(0.5)
            else:
                pytest.fail(f"the demo did not come up:\n{log.read_text()[-3000:]}")
            time.sleep(3)  # let the workers pick up the demo products' jobs
            os.killpg(demo.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
            started = time.monotonic()
            demo.wait(timeout=30)
            stop_s = time.monotonic() - started
        finally:
            if demo.poll() is None:
                os.killpg(demo.pid, signal.SIGKILL)
                demo.wait()
    text = log.read_text(errors="replace")
    assert stop_s < 10, f"Ctrl-C took {stop_s:.1f} s"
    assert not re.search(r"\b(ERROR|CRITICAL)\b|Traceback", text), text[-3000:]
    time.sleep(0.5)
    assert processes_in(repo_copy) == []  # no web server, worker, pool child or beat left
    assert git("status", "--porcelain", "--untracked-files=all", cwd=repo_copy) == ""
    assert not (repo_copy / "control").exists()
