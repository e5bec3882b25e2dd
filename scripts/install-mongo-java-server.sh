#!/usr/bin/env bash
# Fetches de.bwaldvogel:mongo-java-server (+ memory backend) and its dependencies from Maven Central into
# .cache/mongo-java-server/lib, where test/harness/mongo.ts finds them. No mongod is obtainable here, so this
# wire-compatible server is what the MongoDB connector's integration suite runs against. Idempotent.
set -euo pipefail

VERSION="${MONGO_JAVA_SERVER_VERSION:-1.47.0}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/.cache/mongo-java-server"
STAMP="$DIR/lib/.version"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$VERSION" ]]; then
  echo "mongo-java-server $VERSION already in $DIR/lib"
  exit 0
fi

command -v java >/dev/null || { echo "install-mongo-java-server: java is required" >&2; exit 1; }
command -v mvn >/dev/null || { echo "install-mongo-java-server: mvn is required" >&2; exit 1; }

mkdir -p "$DIR"
cat >"$DIR/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.sluice.test</groupId>
  <artifactId>mongo-java-server-fetch</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>de.bwaldvogel</groupId>
      <artifactId>mongo-java-server</artifactId>
      <version>$VERSION</version>
    </dependency>
    <dependency>
      <groupId>de.bwaldvogel</groupId>
      <artifactId>mongo-java-server-memory-backend</artifactId>
      <version>$VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-simple</artifactId>
      <version>2.0.17</version>
    </dependency>
  </dependencies>
</project>
POM

rm -rf "$DIR/lib"
mvn -q -B -f "$DIR/pom.xml" dependency:copy-dependencies -DoutputDirectory="$DIR/lib" -DincludeScope=runtime
echo "$VERSION" >"$STAMP"
echo "mongo-java-server $VERSION installed in $DIR/lib"
