#!/usr/bin/env bash
# Installs MariaDB server binaries for test/harness/mariadb.ts (Debian 12: MariaDB 10.11).
# Idempotent: does nothing when mariadbd is already present. The Debian service is not used: the harness runs a
# private instance per test file, so the packaged one is stopped and kept from starting.
set -euo pipefail
if command -v mariadbd >/dev/null 2>&1 && command -v mariadb-install-db >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d 101 keeps the package scripts from starting the system service (no init system in CI containers).
created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  created_policy=1
fi
apt-get update
apt-get install -y --no-install-recommends mariadb-server mariadb-client
if [ "$created_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
command -v mariadbd >/dev/null
