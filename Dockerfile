# The Junction node image (the same image as node/pom.xml's Jib configuration):
#   docker build -t junction:0.1.0 .
# Stage 1 builds the node with Maven; stage 2 is a JRE 17 with the node's classes and runtime jars.
# The entrypoint is `java ... dev.junction.node.Junction`, the default argument `node`; every setting is a
# JUNCTION_* environment variable (see `junction node --help`), the data lives in /var/lib/junction.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -pl node -am package -DskipTests \
 && mvn -B -q -pl node dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=target/lib

FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 junction \
 && useradd --system --uid 10001 --gid junction --home-dir /var/lib/junction junction \
 && mkdir -p /var/lib/junction /app \
 && chown junction:junction /var/lib/junction
COPY --from=build /src/node/target/lib/ /app/libs/
COPY --from=build /src/node/target/classes/ /app/classes/
ENV JUNCTION_DATA_DIR=/var/lib/junction
ENV JUNCTION_NATIVE_PORT=7071
VOLUME /var/lib/junction
# gRPC, the Java client's native protocol, management (HTTP: /alive, /ready, /metrics), cluster (Artery TCP)
EXPOSE 7070 7071 7626 25520
USER 10001
ENTRYPOINT ["java", "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", \
  "-XX:MaxRAMPercentage=60", "-cp", "/app/classes:/app/libs/*", "dev.junction.node.Junction"]
CMD ["node"]
