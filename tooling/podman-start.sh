#!/usr/bin/env bash
# A copy of the workplace's ../shared/podman/start.sh, kept in the repository so that CI on a clone anywhere finds it.
# Starts a real container engine for tests on these machines: rootful Podman (runc, cgroupfs) with a
# Docker-compatible API socket, and a local busybox image (no registry is reachable, so images are made
# here). Idempotent; prints the socket path on its last line.
#   usage: ../shared/podman/start.sh [SOCKET]      (default /run/hostwire-test/podman.sock)
#   then:  DOCKER_HOST=unix://<socket>  — GET /v1.41/containers/json, /containers/<id>/stats, …
#   image: localhost/hostwire-test/busybox:latest  (/bin/sh, sleep, echo, yes, cat, … from busybox)
#   stop:  kill "$(cat <socket>.pid)"
set -euo pipefail
sock=${1:-/run/hostwire-test/podman.sock}
image=localhost/hostwire-test/busybox:latest

missing=()
command -v podman >/dev/null || missing+=(podman)
command -v runc >/dev/null || missing+=(runc)
[ -x /bin/busybox ] || missing+=(busybox-static)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# This sandbox cannot raise rlimits or use crun's cgroup v2 mode: runc with cgroupfs and no default ulimits.
mkdir -p /etc/containers/containers.conf.d
cat > /etc/containers/containers.conf.d/90-hostwire-test.conf <<'CONF'
[containers]
default_ulimits = []
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF

if ! podman image exists "$image" 2>/dev/null; then
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for c in sh sleep echo cat yes ls head tail true false printf date dd seq wc grep env kill; do ln -sf busybox "$root/bin/$c"; done
  tar -C "$root" -cf "$root.tar" .
  podman import --change 'CMD ["/bin/sh"]' "$root.tar" "$image" >/dev/null 2>&1 || { echo "podman import failed" >&2; exit 1; }
  rm -rf "$root" "$root.tar"
fi

if ! curl -sf --unix-socket "$sock" http://d/_ping >/dev/null 2>&1; then
  mkdir -p "$(dirname "$sock")"
  rm -f "$sock"
  nohup podman system service --time=0 "unix://$sock" >"$sock.log" 2>&1 &
  echo $! >"$sock.pid"
  for _ in $(seq 1 50); do curl -sf --unix-socket "$sock" http://d/_ping >/dev/null 2>&1 && break; sleep 0.2; done
  curl -sf --unix-socket "$sock" http://d/_ping >/dev/null || { echo "podman API did not start: $(tail -5 "$sock.log")" >&2; exit 1; }
fi
echo "$sock"
