#!/usr/bin/env bash
# The schema registry the Avro tests run against, and the independent reader of what sluice writes:
#  - Apicurio Registry (its Confluent-compatible API at /apis/ccompat/v7), the ready-to-run Quarkus distribution
#    from Maven Central (io.apicurio:apicurio-registry-app:<v>:tar.gz:all), unpacked into .cache/apicurio-<v>.
#    3.0.9 runs on Java 17, which every machine has (3.3.x needs Java >= 21). test/harness/registry.ts starts it.
#  - Confluent's Python client (confluent-kafka with its Avro extras, from PyPI) in a virtualenv at
#    .cache/confluent-python: the tests decode sluice's Avro with Confluent's own deserializer, so our decoder
#    never checks our encoder. (Confluent's Java serializers are not on Maven Central.)
# Idempotent: each part is kept once complete (marked by .complete).
set -euo pipefail
APICURIO_VERSION="${APICURIO_VERSION:-3.0.9}"
CONFLUENT_KAFKA_VERSION="${CONFLUENT_KAFKA_VERSION:-2.16.1}"
root="$(cd "$(dirname "$0")/.." && pwd)"

dest="$root/.cache/apicurio-$APICURIO_VERSION"
if [ ! -f "$dest/.complete" ]; then
  command -v java >/dev/null || { echo "install-apicurio: java is required (Java 17)" >&2; exit 1; }
  command -v mvn >/dev/null || { echo "install-apicurio: mvn is required" >&2; exit 1; }
  rm -rf "$dest"
  mkdir -p "$dest"
  artifact="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all"
  mvn -q -B dependency:copy -Dartifact="$artifact" -DoutputDirectory="$dest" -Dmdep.stripVersion=false
  tarball="$(ls "$dest"/apicurio-registry-app-*.tar.gz)"
  tar -xzf "$tarball" -C "$dest"
  rm -f "$tarball"
  runner="$(find "$dest" -maxdepth 3 \( -name 'quarkus-run.jar' -o -name '*-runner.jar' \) | head -n 1)"
  [ -n "$runner" ] || { echo "install-apicurio: no runnable jar in $artifact" >&2; exit 1; }
  echo "${runner#"$dest"/}" >"$dest/runner"
  touch "$dest/.complete"
  echo "install-apicurio: Apicurio Registry $APICURIO_VERSION in $dest ($runner)"
fi

venv="$root/.cache/confluent-python"
stamp="confluent-kafka[avro,schemaregistry]==$CONFLUENT_KAFKA_VERSION"
if [ ! -f "$venv/.complete" ] || [ "$(cat "$venv/.complete")" != "$stamp" ]; then
  command -v python3 >/dev/null || { echo "install-apicurio: python3 is required" >&2; exit 1; }
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "$stamp"
  "$venv/bin/python" -c 'from confluent_kafka.schema_registry.avro import AvroDeserializer' >/dev/null
  echo "$stamp" >"$venv/.complete"
  echo "install-apicurio: $stamp in $venv"
fi
