#!/usr/bin/env bash
# The container test: build the real image from our Dockerfile, run it the way the Actions runner
# does against the fake servers, then run .github/workflows/self-test.yml under act.
# Needs root (apt-get, dockerd). Everything it starts is stopped by pid on every exit path.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY="$ROOT/.venv/bin/python"
WORK=$(mktemp -d /tmp/gps-container.XXXXXX)
PIDS=()

cleanup() {
  local pid
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK" 2>/dev/null || true
}
trap cleanup EXIT
skip() { echo "SKIPPED: container test: $*"; exit 0; }

# 1. Docker engine and debootstrap from Debian's packages.
if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap \
      >/dev/null; } || skip "docker.io and debootstrap cannot be installed from Debian's packages here"
fi
if ! docker info >/dev/null 2>&1; then
  mkdir -p "$WORK/docker"
  dockerd --data-root /var/lib/gps-ci-docker --pidfile "$WORK/docker/pid" \
    >"$WORK/docker/log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || skip "the Docker daemon cannot start here: $(tail -n 3 "$WORK/docker/log" | tr '\n' ' ')"
fi

# 2. A stand-in for python:3.12-slim (image registries are unreachable): Debian minbase with
#    Python, pip behaving like the official image's, and this machine's CA certificates.
if ! docker image inspect python:3.12-slim >/dev/null 2>&1; then
  MIRROR=$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1 | awk '{print $2}')
  [ -n "$MIRROR" ] || MIRROR=$(grep -h '^deb ' /etc/apt/sources.list 2>/dev/null | head -n 1 | awk '{print $2}')
  ROOTFS="$WORK/rootfs"
  debootstrap --variant=minbase \
    --include=python3,python3-pip,python3-venv,python-is-python3,ca-certificates \
    bookworm "$ROOTFS" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -n 20 "$WORK/debootstrap.log"; exit 1; }
  cp /etc/ssl/certs/ca-certificates.crt "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
  cp /usr/local/share/ca-certificates/* "$ROOTFS/usr/local/share/ca-certificates/" 2>/dev/null || true
  rm -f "$ROOTFS"/usr/lib/python3*/EXTERNALLY-MANAGED
  ln -sf pip3 "$ROOTFS/usr/bin/pip"
  tar -C "$ROOTFS" -c . | docker import - python:3.12-slim >/dev/null
  rm -rf "$ROOTFS"
fi

# 3. Our image, from the real Dockerfile.
docker build -q -t gps:ci . >/dev/null
echo "image gps:ci: $(docker image inspect gps:ci --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}')"

# 4. Run it as the runner does, against the fakes.
"$PY" -m gps.fakes serve --state "$WORK/fakes.json" --lifetime 900 &
PIDS+=($!)
"$PY" -m gps.fakes outputs --state "$WORK/fakes.json" >"$WORK/fakes.env"
get() { grep "^$1=" "$WORK/fakes.env" | cut -d= -f2-; }
mkdir -p "$WORK/workspace" "$WORK/file_commands"
: >"$WORK/file_commands/output"
: >"$WORK/file_commands/summary"
docker run --rm --network host --workdir /github/workspace \
  -v "$WORK/workspace:/github/workspace" -v "$WORK/file_commands:/github/file_commands" \
  -e GITHUB_ACTIONS=true \
  -e GITHUB_OUTPUT=/github/file_commands/output \
  -e GITHUB_STEP_SUMMARY=/github/file_commands/summary \
  -e "INPUT_GITHUB-KEY=$(get github-key)" -e "GPS_GITHUB_KEY=$(get github-key)" \
  -e "INPUT_GITHUB-ID=$(get github-id)" -e "GPS_GITHUB_ID=$(get github-id)" \
  -e "INPUT_GITHUB-URL=$(get github-url)" -e "GPS_GITHUB_URL=$(get github-url)" \
  -e "INPUT_POSTHOG-KEY=$(get posthog-key)" -e "GPS_POSTHOG_KEY=$(get posthog-key)" \
  -e "INPUT_POSTHOG-URL=$(get posthog-url)" -e "GPS_POSTHOG_URL=$(get posthog-url)" \
  -e "INPUT_ALLOW-PRIVATE=" -e "GPS_ALLOW_PRIVATE=" \
  gps:ci >"$WORK/container.log" 2>&1 || { cat "$WORK/container.log"; exit 1; }
grep -q "^::add-mask::$(get github-key)$" "$WORK/container.log" \
  || { echo "the container did not mask the GitHub token first"; cat "$WORK/container.log"; exit 1; }
"$PY" -m gps.fakes check --state "$WORK/fakes.json" --summary "$WORK/file_commands/summary" \
  --outputs "$WORK/file_commands/output"
echo "container test: passed"

# 5. Our self-test workflow under act, as a runner would run it (uses: ./ builds the image again).
"$ROOT/.venv/bin/act" push -W .github/workflows/self-test.yml -j self-test \
  -P ubuntu-latest=python:3.12-slim --pull=false --action-offline-mode \
  </dev/null >"$WORK/act.log" 2>&1 || { tail -n 80 "$WORK/act.log"; echo "act: the self-test workflow failed"; exit 1; }
grep -q "Job succeeded" "$WORK/act.log" || { tail -n 80 "$WORK/act.log"; echo "act: no 'Job succeeded'"; exit 1; }
grep "check: ok" "$WORK/act.log" | sed 's/^/act: /'
echo "self-test workflow under act: passed"
