#!/usr/bin/env bash
# Fetches de.bwaldvogel:mongo-java-server (+ memory and H2 backends) and its dependencies from Maven Central into
# .cache/mongo-java-server/lib, where test/harness/mongo.ts finds them. No mongod is obtainable here, so this
# wire-compatible server is what the MongoDB connector's integration suite runs against. Idempotent.
set -euo pipefail

VERSION="${MONGO_JAVA_SERVER_VERSION:-1.47.0}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/.cache/mongo-java-server"
STAMP="$DIR/lib/.version"

H2_STAMP="$DIR/h2/.version"

command -v java >/dev/null || { echo "install-mongo-java-server: java is required" >&2; exit 1; }
command -v mvn >/dev/null || { echo "install-mongo-java-server: mvn is required" >&2; exit 1; }
mkdir -p "$DIR"

# The H2 (MVStore) backend keeps data and oplog in a file, so the fault suite can restart the server without
# losing them (the memory backend forgets everything). Its own folder: the memory-backend install stays as it is.
if [[ -f "$H2_STAMP" && "$(cat "$H2_STAMP")" == "$VERSION" ]]; then
  echo "mongo-java-server H2 backend $VERSION already in $DIR/h2"
else
  mkdir -p "$DIR/h2-fetch"
  cat >"$DIR/h2-fetch/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.sluice.test</groupId>
  <artifactId>mongo-java-server-h2-fetch</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>de.bwaldvogel</groupId>
      <artifactId>mongo-java-server-h2-backend</artifactId>
      <version>$VERSION</version>
      <exclusions>
        <exclusion><groupId>*</groupId><artifactId>mongo-java-server-core</artifactId></exclusion>
        <exclusion><groupId>io.netty</groupId><artifactId>*</artifactId></exclusion>
        <exclusion><groupId>org.slf4j</groupId><artifactId>*</artifactId></exclusion>
      </exclusions>
    </dependency>
  </dependencies>
</project>
POM
  rm -rf "$DIR/h2"
  mvn -q -B -f "$DIR/h2-fetch/pom.xml" dependency:copy-dependencies -DoutputDirectory="$DIR/h2" -DincludeScope=runtime
  echo "$VERSION" >"$H2_STAMP"
  echo "mongo-java-server H2 backend $VERSION installed in $DIR/h2"
fi

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$VERSION" ]]; then
  echo "mongo-java-server $VERSION already in $DIR/lib"
  exit 0
fi
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
