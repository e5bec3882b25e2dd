#!/usr/bin/env bash
# Chromium: test/integration/ui/ drives the worker's dashboard in a real browser (playwright-core pointed at
# Debian's /usr/bin/chromium; no browser download). Idempotent: does nothing when /usr/bin/chromium runs.
set -euo pipefail
if [ -x /usr/bin/chromium ] && /usr/bin/chromium --version >/dev/null 2>&1; then
  exit 0
fi
. "$(dirname "$0")/lib/apt.sh"
# fonts-dejavu-core: pages and screenshots need a font with Latin glyphs (chromium pulls no font by itself).
apt_install chromium fonts-dejavu-core
/usr/bin/chromium --version >/dev/null
