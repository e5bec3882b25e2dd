#!/usr/bin/env bash
# README's first command on a fresh clone, as a newcomer types it: `npm install && npx sluice demo`.
# Clones the committed tree, installs (the prepare script builds dist/), runs the demo with JSON output until
# the scripted live changes have arrived, then sends Ctrl-C (SIGINT to the whole process group, as a terminal
# does) and checks the exit code and that the demo left no temp dir behind.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL -- "-$pid" 2>/dev/null || true; fi
  # npx installed the clone into its cache as a link; drop that entry too, it points at nothing now.
  local npx_dir
  npx_dir="$(npm config get cache 2>/dev/null)/_npx"
  for link in "$npx_dir"/*/node_modules/sluice; do
    if [ -L "$link" ] && [ "$(readlink -f "$link")" = "$work/sluice" ]; then rm -rf "$(dirname "$(dirname "$link")")"; fi
  done
  rm -rf "$work"
}
trap cleanup EXIT
# As root, initdb runs as `postgres` and must be able to reach the demo's data dir under TMPDIR.
chmod 755 "$work"
mkdir -m 755 "$work/tmp"

git clone -q "$repo" "$work/sluice"
cd "$work/sluice"
echo "check-fresh-clone: npm install"
npm install --no-audit --no-fund --prefer-offline >"$work/install.log" 2>&1 || {
  tail -40 "$work/install.log"
  exit 1
}
test -f dist/runtime/cli.js

echo "check-fresh-clone: npx sluice demo"
# setsid: the demo gets a process group of its own, so the Ctrl-C below reaches npx, node and PostgreSQL alike.
TMPDIR="$work/tmp" setsid npx sluice demo --format json --rows 10 >"$work/out.jsonl" 2>"$work/err.log" </dev/null &
pid=$!
deadline=$((SECONDS + 300))
# The demo's last scripted change is a delete, followed by its tombstone: a line whose value is null.
until grep -q '"value":null}' "$work/out.jsonl" 2>/dev/null; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "check-fresh-clone: the demo exited early"
    cat "$work/err.log"
    exit 1
  fi
  if [ "$SECONDS" -gt "$deadline" ]; then
    echo "check-fresh-clone: no live change events within 300 s"
    cat "$work/err.log"
    exit 1
  fi
  sleep 1
done
kill -INT -- "-$pid"
status=0
wait "$pid" || status=$?
pid=""
ops="$(node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
  console.log(lines.map((l) => (l.value ? l.value.op : "tombstone")).join(","));
' "$work/out.jsonl")"
expected="r,r,r,r,r,r,r,r,r,r,c,u,d,tombstone"
if [ "$ops" != "$expected" ]; then
  echo "check-fresh-clone: events were $ops, expected $expected"
  exit 1
fi
# npm exec reports an interrupted child as 130 whatever the child's own exit code (the integration test
# test/integration/demo/demo.test.ts checks the demo's own 0); here the proof is what is left behind.
if [ "$status" -ne 0 ] && [ "$status" -ne 130 ]; then
  echo "check-fresh-clone: the demo exited with $status after Ctrl-C"
  cat "$work/err.log"
  exit 1
fi
if pgrep -f "$work/tmp" >/dev/null; then
  echo "check-fresh-clone: PostgreSQL still runs after the demo stopped"
  exit 1
fi
if ls "$work/tmp" | grep -q '^sluice-demo-'; then
  echo "check-fresh-clone: the demo left its temp dir behind"
  exit 1
fi
echo "check-fresh-clone: ok ($expected; stopped by Ctrl-C with exit $status; nothing left behind)"
