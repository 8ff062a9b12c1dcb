#!/usr/bin/env bash
# Build the server images the matrix starts through testcontainers, from Debian
# packages: sqla-matrix/postgresql, sqla-matrix/mariadb (bookworm) and
# sqla-matrix/mysql (sid, Oracle MySQL). The base is the official debian image
# where a registry answers; otherwise one made here with debootstrap.
#   bash docker/build-images.sh [postgresql] [mariadb] [mysql]
# Prints one line per image; exits non-zero if an image named on the command
# line (or, with none named, postgresql or mariadb) failed to build.
set -uo pipefail
cd "$(dirname "$0")"
wanted=("$@"); [ ${#wanted[@]} -gt 0 ] || wanted=(postgresql mariadb mysql)

mirror() {  # the Debian mirror this machine's apt uses
  awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null ||
    awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null
}

base() {  # base SUITE -> prints an image name to build FROM
  local suite=$1 tag="sqla-matrix/debian:$1"
  if docker image inspect "$tag" >/dev/null 2>&1; then echo "$tag"; return; fi
  if timeout 60 docker pull -q "debian:$suite-slim" >/dev/null 2>&1; then echo "debian:$suite-slim"; return; fi
  local root url; root=$(mktemp -d); url=$(mirror)
  [ -n "$url" ] || { echo "no Debian mirror configured for apt" >&2; return 1; }
  debootstrap --variant=minbase "$suite" "$root" "$url" >"$root.log" 2>&1 ||
    { echo "debootstrap $suite failed: $(tail -1 "$root.log")" >&2; return 1; }
  # sid's index may be past its Valid-Until date on a mirror snapshot.
  echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/99matrix"
  tar -C "$root" -c . | docker import - "$tag" >/dev/null && rm -rf "$root" "$root.log" && echo "$tag"
}

build() {  # build NAME SUITE
  local name=$1 suite=$2 from start=$SECONDS
  from=$(base "$suite") || return 1
  if docker build --network host -q --build-arg "BASE=$from" -t "sqla-matrix/$name:$suite" \
       -f "$name/Dockerfile" . >"/tmp/sqla-matrix-build-$name.log" 2>&1; then
    echo "built sqla-matrix/$name:$suite in $((SECONDS - start)) s"
  else
    echo "could not build sqla-matrix/$name:$suite: $(tail -1 "/tmp/sqla-matrix-build-$name.log")" >&2
    return 1
  fi
}

status=0
for name in "${wanted[@]}"; do
  case $name in
    postgresql|mariadb) build "$name" bookworm || status=1 ;;
    mysql) build mysql sid || { [ $# -gt 0 ] && status=1; } ;;  # optional unless asked for
    *) echo "unknown image $name: choose postgresql, mariadb or mysql" >&2; status=2 ;;
  esac
done
exit $status
