#!/usr/bin/env bash
# Installs Debian's docker-compose (1.29) so CI can check docker-compose.yml with `docker-compose config`. No
# Docker engine is needed (or present) for that: `config` only parses, interpolates and validates the file.
# Idempotent: does nothing when docker-compose is already on the PATH.
set -euo pipefail
if command -v docker-compose >/dev/null 2>&1; then
  exit 0
fi
. "$(dirname "$0")/lib/apt.sh"
apt_install docker-compose
command -v docker-compose >/dev/null
