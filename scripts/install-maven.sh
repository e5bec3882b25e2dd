#!/usr/bin/env bash
# Maven (Debian 12: 3.8.7), with which the other install scripts fetch jars from Maven Central (Kafka,
# mongo-java-server, Debezium). scripts/prerequisites.sh runs this one first. Idempotent: does nothing when mvn is
# on the PATH.
set -euo pipefail
if command -v mvn >/dev/null 2>&1; then
  exit 0
fi
. "$(dirname "$0")/lib/apt.sh"
apt_install maven
command -v mvn >/dev/null
