#!/usr/bin/env bash
# What test/harness/postgres.ts needs beyond npm: the PostgreSQL 17 binaries come with the embedded-postgres npm
# package (their own libssl, ICU, libxml2 included); the host must provide libstdc++/libgcc (linked by the
# binaries), `groupadd`/`useradd` (embedded-postgres creates a `postgres` user when run as root) and `locale`
# (it picks the cluster locale from `locale -a`). Debian 12 images normally have all of these.
# Idempotent: installs nothing when they are present. Also checks, as root, that the checkout's path lets the
# `postgres` user through (below).
set -euo pipefail
missing=()
command -v useradd >/dev/null 2>&1 || missing+=(passwd)
command -v locale >/dev/null 2>&1 || missing+=(libc-bin)
ldconfig -p 2>/dev/null | grep -q 'libstdc++.so.6' || missing+=(libstdc++6)
ldconfig -p 2>/dev/null | grep -q 'libgcc_s.so.1' || missing+=(libgcc-s1)
if [ "${#missing[@]}" -gt 0 ]; then
  . "$(dirname "$0")/lib/apt.sh"
  apt_install "${missing[@]}"
fi

# As root, embedded-postgres runs the server as user `postgres`, which must be able to reach the binaries in this
# checkout's node_modules: a checkout under a directory others cannot enter (root's home is 0700) fails every
# PostgreSQL test with EACCES. Say so, and where. (`sluice demo` copes by running a copy in /var/cache/sluice.)
if [ "$(id -u)" = 0 ]; then
  dir="$(cd "$(dirname "$0")/.." && pwd)"
  while [ "$dir" != / ]; do
    if [ "$(( 0$(stat -c %a "$dir") & 1 ))" = 0 ]; then
      echo "as root, PostgreSQL runs as user postgres, which cannot enter $dir (mode $(stat -c %a "$dir")): clone sluice under a directory others can enter (e.g. /srv, /opt), or chmod o+x $dir" >&2
      exit 1
    fi
    dir="$(dirname "$dir")"
  done
fi
