#!/usr/bin/env bash
# Installs MariaDB server binaries for test/harness/mariadb.ts (Debian 12: MariaDB 10.11).
# Idempotent: does nothing when mariadbd is already present. The Debian service is not used: the harness runs a
# private instance per test file, so the packaged one is kept from starting (scripts/lib/apt.sh).
set -euo pipefail
if command -v mariadbd >/dev/null 2>&1 && command -v mariadb-install-db >/dev/null 2>&1; then
  exit 0
fi
. "$(dirname "$0")/lib/apt.sh"
apt_install mariadb-server mariadb-client
command -v mariadbd >/dev/null
