#!/usr/bin/env bash
# What bench/vs-debezium needs beyond the test prerequisites, fetched once into .cache/ (idempotent; a complete
# directory is marked by .complete). Run by `npm run bench:vs-debezium`; not by CI, which runs no benchmark.
#   - Debezium's embedded engine (3.6.1.Final; MariaDB 3.5.0.Final): scripts/install-debezium.sh
#   - Kafka Connect for Kafka mode: connect-runtime in the Kafka version Debezium 3.6.1.Final is built against
#     (its embedded classpath carries kafka-clients/connect-runtime 4.3.0), and Debezium's PostgreSQL connector as a
#     Connect plugin (plugin.path), as a Connect deployment has it:
#       .cache/kafka-connect-<kafka>/libs                             connect-runtime, connect-json, connect-file
#                                                                     (FileStreamSink, for the latency run), log binding
#       .cache/kafka-connect-<kafka>/plugins/debezium-connector-postgres   the connector and what it needs beyond Connect
#   - the broker: scripts/install-kafka.sh (test/harness/kafka.ts starts it)
#   - pg_recvlogical (Debian's postgresql-client) for the replication ceiling
set -euo pipefail
CONNECT_KAFKA_VERSION="${CONNECT_KAFKA_VERSION:-4.3.0}"
DEBEZIUM_VERSION="${DEBEZIUM_VERSION:-3.6.1.Final}"
SLF4J_VERSION=1.7.36
root="$(cd "$(dirname "$0")/../.." && pwd)"
command -v java >/dev/null || { echo "vs-debezium install: java is required (Java 17)" >&2; exit 1; }
command -v mvn >/dev/null || bash "$root/scripts/install-maven.sh"

bash "$root/scripts/install-debezium.sh"
bash "$root/scripts/install-kafka.sh"

if ! command -v pg_recvlogical >/dev/null; then
  . "$root/scripts/lib/apt.sh"
  apt_install postgresql-client
fi

dest="$root/.cache/kafka-connect-$CONNECT_KAFKA_VERSION"
# fetch DIR DEPENDENCIES-XML [EXCLUSIONS-XML]: the runtime closure of the dependencies into DIR.
fetch() {
  local dir="$1" deps="$2"
  mkdir -p "$dir"
  cat > "$dir/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.sluice.bench</groupId>
  <artifactId>connect-libs</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>$deps</dependencies>
</project>
POM
  mvn -q -B -f "$dir/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dir"
  rm -f "$dir/pom.xml"
}

# .complete-2: the second layout (connect-file added); an older directory is fetched again.
if [ ! -f "$dest/.complete-2" ]; then
  rm -rf "$dest"
  fetch "$dest/libs" "
    <dependency><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId><version>$CONNECT_KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>connect-json</artifactId><version>$CONNECT_KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>connect-file</artifactId><version>$CONNECT_KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>$SLF4J_VERSION</version></dependency>"
  # One slf4j binding only: Connect's own (log4j's) would make slf4j pick one at random.
  find "$dest/libs" -name 'slf4j-reload4j-*.jar' -delete -o -name 'log4j-slf4j*-impl-*.jar' -delete
  # The plugin: Debezium's connector with what Connect does not provide (Connect's own jars are excluded, as in
  # Debezium's plugin archive).
  plugin="$dest/plugins/debezium-connector-postgres"
  fetch "$plugin" "
    <dependency><groupId>io.debezium</groupId><artifactId>debezium-connector-postgres</artifactId><version>$DEBEZIUM_VERSION</version>
      <exclusions>
        <exclusion><groupId>org.apache.kafka</groupId><artifactId>*</artifactId></exclusion>
        <exclusion><groupId>org.slf4j</groupId><artifactId>*</artifactId></exclusion>
      </exclusions>
    </dependency>"
  ls "$dest/libs/connect-runtime-$CONNECT_KAFKA_VERSION.jar" "$dest/libs/connect-file-$CONNECT_KAFKA_VERSION.jar" \
    "$plugin/debezium-connector-postgres-$DEBEZIUM_VERSION.jar" >/dev/null
  touch "$dest/.complete-2"
  echo "vs-debezium install: Kafka Connect $CONNECT_KAFKA_VERSION ($(ls "$dest/libs" | wc -l) jars) and Debezium's PostgreSQL plugin ($(ls "$plugin" | wc -l) jars) in $dest"
fi
