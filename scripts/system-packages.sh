#!/usr/bin/env bash
# Debian packages the project uses beyond Python: fonts-noto-cjk (Chinese banner text, SIL OFL
# 1.1). With --test also redis-server (integration tests), chromium (browser test) and gettext
# (the test that extracts every translatable message with makemessages).
# Installs what is missing when run as root (or with passwordless sudo); otherwise prints the
# apt-get command and carries on, so `make demo` still runs (Chinese banners then fail with a
# message naming the package).
set -euo pipefail
need=()
ls /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc >/dev/null 2>&1 || need+=(fonts-noto-cjk)
if [ "${1:-}" = "--test" ]; then
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  [ -x /usr/bin/chromium ] || need+=(chromium)
  command -v xgettext >/dev/null 2>&1 && command -v msgmerge >/dev/null 2>&1 || need+=(gettext)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo"; else
  echo "gan_imaging: please install: apt-get install -y ${need[*]}" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "gan_imaging: please install the equivalents of: ${need[*]}" >&2
  exit 0
fi
echo "gan_imaging: installing ${need[*]} (Debian packages)"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
