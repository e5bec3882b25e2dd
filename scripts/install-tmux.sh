#!/usr/bin/env bash
# tmux: test/integration/demo/terminal.test.ts runs `sluice demo` in a real terminal (tmux new-session, then
# send-keys and capture-pane) to check what a person sees. Idempotent: does nothing when tmux is on the PATH.
set -euo pipefail
if command -v tmux >/dev/null 2>&1; then
  exit 0
fi
. "$(dirname "$0")/lib/apt.sh"
apt_install tmux
command -v tmux >/dev/null
