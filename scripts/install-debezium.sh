#!/usr/bin/env bash
# Fetches Debezium's embedded engine and connectors from Maven Central into .cache/, for the conformance suite
# (test/conformance) and the side-by-side benchmarks (bench/vs-debezium), both run through
# test/harness/java/DebeziumEngine.java. Each classpath holds one Debezium version only (never mix them):
#   .cache/debezium-3.6.1.Final/libs          debezium-embedded + connector-postgres, -mysql and -mongodb
#   .cache/debezium-mariadb-3.5.0.Final/libs  debezium-embedded + connector-mariadb, every Debezium artifact 3.5.0
# (debezium-connector-mariadb is not served at 3.6.1; Debezium's MySqlConnector 3.6.1 refuses MariaDB 10.11.)
# slf4j-simple makes the engines log to stderr. Idempotent: a complete classpath (marked by .complete) is kept.
set -euo pipefail
DEBEZIUM_VERSION="${DEBEZIUM_VERSION:-3.6.1.Final}"
DEBEZIUM_MARIADB_VERSION="${DEBEZIUM_MARIADB_VERSION:-3.5.0.Final}"
SLF4J_VERSION=1.7.36
root="$(cd "$(dirname "$0")/.." && pwd)"
command -v java >/dev/null || { echo "install-debezium: java is required (Java 17)" >&2; exit 1; }
command -v mvn >/dev/null || { echo "install-debezium: mvn is required" >&2; exit 1; }

# classpath DIR VERSION ARTIFACT... : resolves debezium ARTIFACTs at VERSION with their runtime closure into DIR/libs.
classpath() {
  local dest="$1" version="$2"
  shift 2
  [ -f "$dest/.complete" ] && return 0
  rm -rf "$dest"
  mkdir -p "$dest/libs"
  local deps=""
  for a in "$@"; do
    deps="$deps<dependency><groupId>io.debezium</groupId><artifactId>$a</artifactId><version>$version</version></dependency>"
  done
  # A throwaway pom whose only job is to let dependency:copy-dependencies resolve the runtime classpath.
  cat > "$dest/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.sluice.test</groupId>
  <artifactId>debezium-libs</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    $deps
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>$SLF4J_VERSION</version></dependency>
  </dependencies>
</project>
POM
  mvn -q -B -f "$dest/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dest/libs"
  # Only our slf4j binding: two bindings make slf4j pick one at random.
  find "$dest/libs" -name 'slf4j-reload4j-*.jar' -delete -o -name 'slf4j-log4j12-*.jar' -delete \
    -o -name 'logback-classic-*.jar' -delete
  for a in "$@"; do ls "$dest/libs/$a-$version.jar" >/dev/null; done
  ls "$dest/libs"/connect-json-*.jar "$dest/libs"/debezium-storage-file-*.jar >/dev/null
  touch "$dest/.complete"
  echo "install-debezium: $* $version in $dest/libs ($(ls "$dest/libs" | wc -l) jars)"
}

classpath "$root/.cache/debezium-$DEBEZIUM_VERSION" "$DEBEZIUM_VERSION" \
  debezium-embedded debezium-connector-postgres debezium-connector-mysql debezium-connector-mongodb
classpath "$root/.cache/debezium-mariadb-$DEBEZIUM_MARIADB_VERSION" "$DEBEZIUM_MARIADB_VERSION" \
  debezium-embedded debezium-connector-mariadb
