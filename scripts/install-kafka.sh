#!/usr/bin/env bash
# Fetches a pinned Apache Kafka broker (the kafka_2.13 jar and its runtime dependencies) from Maven Central into
# .cache/kafka-<version>/libs, for test/harness/kafka.ts and bench/kafka.ts. Kafka has no Debian or npm package;
# Maven Central is the only reachable source. Idempotent: a complete cache (marked by .complete) is kept.
set -euo pipefail
KAFKA_VERSION="${KAFKA_VERSION:-3.9.1}"
SLF4J_VERSION=1.7.36
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.cache/kafka-$KAFKA_VERSION"
command -v java >/dev/null || { echo "install-kafka: java is required (Java 17)" >&2; exit 1; }
command -v mvn >/dev/null || { echo "install-kafka: mvn is required" >&2; exit 1; }

# Kafka Connect's JsonConverter (connect-json, connect-api) in a directory of its own, never on the broker's
# classpath: the offset-format tests read and write offset.storage.topic with it, as a Connect worker does. Kept
# apart from libs/ so that adding it never touches the broker jars a running test may be loading.
connect="$dest/connect-libs"
if [ ! -f "$connect/.complete" ]; then
  rm -rf "$connect"
  mkdir -p "$connect"
  cat > "$connect/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.sluice.test</groupId>
  <artifactId>kafka-connect-json-libs</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>connect-json</artifactId><version>$KAFKA_VERSION</version></dependency>
  </dependencies>
</project>
POM
  mvn -q -B -f "$connect/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$connect"
  ls "$connect"/connect-json-"$KAFKA_VERSION".jar "$connect"/connect-api-"$KAFKA_VERSION".jar >/dev/null
  touch "$connect/.complete"
fi

if [ -f "$dest/.complete" ]; then
  exit 0
fi
rm -rf "$dest/libs"
mkdir -p "$dest/libs"
# A throwaway pom whose only job is to let dependency:copy-dependencies resolve the broker's runtime classpath.
# slf4j-simple gives the broker a logger that writes to stderr, which the harness keeps as the broker log.
cat > "$dest/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.sluice.test</groupId>
  <artifactId>kafka-broker-libs</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>$SLF4J_VERSION</version></dependency>
  </dependencies>
</project>
POM
mvn -q -B -f "$dest/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dest/libs"
# slf4j-simple and a log4j/reload4j binding together make slf4j pick one at random; keep only ours.
find "$dest/libs" -name 'slf4j-reload4j-*.jar' -delete -o -name 'slf4j-log4j12-*.jar' -delete
ls "$dest/libs"/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null
touch "$dest/.complete"
echo "install-kafka: Kafka $KAFKA_VERSION in $dest/libs ($(ls "$dest/libs" | wc -l) jars)"
