#!/usr/bin/env bash
# Debezium's JDBC sink on Kafka Connect 4.3.0 (bench/vs-debezium's Connect), fetched once into .cache/ (idempotent;
# a complete directory is marked by .complete): the reference test/integration/jdbc/vs-debezium.test.ts compares
# sluice's JDBC sink with (CI runs every scripts/install-*.sh), and bench/jdbc-vs-debezium.ts measures against.
#   .cache/debezium-jdbc-<version>/plugins/debezium-connector-jdbc   Debezium's JDBC sink as a Connect plugin, with
#                                                                   what Connect does not provide, and the PostgreSQL
#                                                                   JDBC driver (Debezium's archive bundles drivers)
# Maven Central serves debezium-connector-jdbc at 3.5.0.Final, not at 3.6.1.Final (docs/FACTS.md).
set -euo pipefail
DEBEZIUM_JDBC_VERSION="${DEBEZIUM_JDBC_VERSION:-3.5.0.Final}"
PG_DRIVER_VERSION="${PG_DRIVER_VERSION:-42.7.11}"
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/bench/vs-debezium/install.sh"
dest="$root/.cache/debezium-jdbc-$DEBEZIUM_JDBC_VERSION"
plugin="$dest/plugins/debezium-connector-jdbc"
# Jackson comes from Connect's own classpath: a second copy in the plugin makes Hibernate's ServiceLoader fail
# ("com.fasterxml.jackson.module.blackbird.BlackbirdModule not a subtype") and the task FAILED at start.
[ -d "$plugin" ] && rm -f "$plugin"/jackson-*.jar
[ -f "$dest/.complete" ] && exit 0
rm -rf "$dest"
mkdir -p "$plugin"
cat > "$plugin/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.sluice.bench</groupId>
  <artifactId>debezium-jdbc</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>io.debezium</groupId><artifactId>debezium-connector-jdbc</artifactId><version>$DEBEZIUM_JDBC_VERSION</version>
      <exclusions>
        <exclusion><groupId>org.apache.kafka</groupId><artifactId>*</artifactId></exclusion>
        <exclusion><groupId>org.slf4j</groupId><artifactId>*</artifactId></exclusion>
      </exclusions>
    </dependency>
    <dependency><groupId>org.postgresql</groupId><artifactId>postgresql</artifactId><version>$PG_DRIVER_VERSION</version></dependency>
  </dependencies>
</project>
POM
mvn -q -B -f "$plugin/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$plugin"
rm -f "$plugin/pom.xml" "$plugin"/jackson-*.jar
ls "$plugin/debezium-connector-jdbc-$DEBEZIUM_JDBC_VERSION.jar" "$plugin/postgresql-$PG_DRIVER_VERSION.jar" >/dev/null
touch "$dest/.complete"
echo "debezium-jdbc install: Debezium's JDBC sink $DEBEZIUM_JDBC_VERSION ($(ls "$plugin" | wc -l) jars) in $plugin"
