#!/usr/bin/env bash
# The first step of `npm test`: makes sure every server and tool the tests need is here, so that the suite runs on
# a fresh machine (Debian 12, Node 20, Java 17, as root) with no other step. It runs every scripts/install-*.sh —
# each one idempotent and quick when its thing is already present — printing one line per script, with the
# script's own output in .cache/prerequisites/<script>.log. A script that cannot install (not root, no network,
# no Java) fails the step with its last line as the reason. install-maven.sh runs first: the others fetch from
# Maven Central with it; the rest run in name order.
#
# A new install script joins by being named scripts/install-<what>.sh: idempotent, exits 0 when done, prints
# the reason on its last line when it cannot. SLUICE_SKIP_PREREQUISITES=1 skips this step.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if [ -n "${SLUICE_SKIP_PREREQUISITES:-}" ]; then
  echo "prerequisites: skipped (SLUICE_SKIP_PREREQUISITES is set)"
  exit 0
fi

logs=".cache/prerequisites"
mkdir -p "$logs"
# Worktrees share .cache, and two test runs must not both run apt-get or fill the same jar directory.
exec 9>"$logs/.lock"
if ! flock -n 9; then
  echo "prerequisites: waiting for another run of this step to finish"
  flock 9
fi

scripts=()
[ -f scripts/install-maven.sh ] && scripts+=(scripts/install-maven.sh)
for s in scripts/install-*.sh; do
  [ "$s" = scripts/install-maven.sh ] || scripts+=("$s")
done

failed=0
for script in "${scripts[@]}"; do
  name="$(basename "$script" .sh)"
  name="${name#install-}"
  log="$logs/$name.log"
  printf 'prerequisites: %-22s' "$name"
  started=$(date +%s%N)
  if bash "$script" >"$log" 2>&1; then
    status=ok
  else
    status=failed
  fi
  ms=$((($(date +%s%N) - started) / 1000000))
  took="$((ms / 1000)).$(((ms % 1000) / 100)) s"
  if [ "$status" = ok ]; then
    echo " ok ($took)"
  else
    reason="$(grep -v '^[[:space:]]*$' "$log" | tail -n 1)"
    echo " FAILED ($took): ${reason:-exit status without a message} (log: $logs/$name.log)"
    failed=$((failed + 1))
  fi
done

if [ "$failed" -gt 0 ]; then
  echo "prerequisites: $failed missing; the tests that need them cannot run (details in $logs/)"
  exit 1
fi
