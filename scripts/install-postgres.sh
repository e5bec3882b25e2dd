#!/usr/bin/env bash
# What test/harness/postgres.ts needs beyond npm: the PostgreSQL 17 binaries come with the embedded-postgres npm
# package (their own libssl, ICU, libxml2 included); the host must provide libstdc++/libgcc (linked by the
# binaries), `groupadd`/`useradd` (embedded-postgres creates a `postgres` user when run as root) and `locale`
# (it picks the cluster locale from `locale -a`). Debian 12 images normally have all of these.
# Idempotent: installs nothing when they are present.
set -euo pipefail
missing=()
command -v useradd >/dev/null 2>&1 || missing+=(passwd)
command -v locale >/dev/null 2>&1 || missing+=(libc-bin)
ldconfig -p 2>/dev/null | grep -q 'libstdc++.so.6' || missing+=(libstdc++6)
ldconfig -p 2>/dev/null | grep -q 'libgcc_s.so.1' || missing+=(libgcc-s1)
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
. "$(dirname "$0")/lib/apt.sh"
apt_install "${missing[@]}"
