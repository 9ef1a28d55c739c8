# feedbackd container image: Debian 12 packages only.
# The package lists come from scripts/debian-packages.txt, the same file
# `scripts/dev.sh setup` installs from (group "build" here, "image" in the
# runtime stage); tests/deploy/image_test.py keeps the two in step.

FROM debian:12 AS build
COPY scripts/debian-packages.txt /tmp/debian-packages.txt
RUN apt-get update \
 && awk '$1 == "build" {print $2}' /tmp/debian-packages.txt \
    | xargs apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake cmake
COPY protos protos
COPY domain domain
COPY migrations migrations
COPY storage storage
COPY services services
COPY clients clients
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
 && cmake --build build --target feedbackd feedbackctl \
 && strip build/services/feedbackd/feedbackd build/clients/feedbackctl

FROM debian:12-slim AS runtime
COPY scripts/debian-packages.txt /tmp/debian-packages.txt
RUN apt-get update \
 && awk '$1 == "image" {print $2}' /tmp/debian-packages.txt \
    | xargs apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/debian-packages.txt \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin feedback
COPY --from=build /src/build/services/feedbackd/feedbackd /usr/local/bin/feedbackd
COPY --from=build /src/build/clients/feedbackctl /usr/local/bin/feedbackctl
USER 10001:10001
EXPOSE 50051 8081
ENTRYPOINT ["/usr/local/bin/feedbackd"]
CMD ["serve", "--listen", "0.0.0.0:50051"]
