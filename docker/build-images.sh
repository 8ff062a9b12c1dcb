#!/usr/bin/env bash
# Build the server images the matrix starts through testcontainers, from Debian
# packages, one per server version, tagged as the harness looks for them
# (sqla-matrix/<backend>:<version>):
#   postgresql:13 (bullseye)  postgresql:15 (bookworm)  postgresql:17 (trixie)  postgresql:18 (sid)
#   mariadb:10.5 (bullseye)   mariadb:10.11 (bookworm)  mariadb:11.8 (trixie)   mysql:9.7 (sid)
# The base is the official debian image where a registry answers; otherwise one
# made here with debootstrap.
#   bash docker/build-images.sh [NAME[:VERSION]...]     (none: every image)
# Prints one line per image; exits non-zero if an image failed to build.
set -uo pipefail
cd "$(dirname "$0")"

#: NAME:VERSION -> the Debian suite that packages that version
declare -A SUITE=(
  [postgresql:13]=bullseye [postgresql:15]=bookworm [postgresql:17]=trixie [postgresql:18]=sid
  [mariadb:10.5]=bullseye [mariadb:10.11]=bookworm [mariadb:11.8]=trixie [mysql:9.7]=sid
)
ALL=(postgresql:13 postgresql:15 postgresql:17 postgresql:18 mariadb:10.5 mariadb:10.11 mariadb:11.8
     mysql:9.7)

wanted=()
for arg in "${@:-${ALL[@]}}"; do
  if [[ $arg == *:* ]]; then wanted+=("$arg"); continue; fi
  for image in "${ALL[@]}"; do [[ $image == "$arg":* ]] && wanted+=("$image"); done
done

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

build() {  # build NAME:VERSION
  local image=$1 name=${1%%:*} version=${1#*:} from start=$SECONDS
  local suite=${SUITE[$image]:-}
  [ -n "$suite" ] || { echo "unknown image $image: choose from ${ALL[*]}" >&2; return 2; }
  from=$(base "$suite") || return 1
  local log="/tmp/sqla-matrix-build-$name-$version.log"
  if docker build --network host -q --build-arg "BASE=$from" --build-arg "PG_MAJOR=$version" \
       -t "sqla-matrix/$image" -f "$name/Dockerfile" . >"$log" 2>&1; then
    echo "built sqla-matrix/$image (Debian $suite) in $((SECONDS - start)) s"
  else
    echo "could not build sqla-matrix/$image: $(tail -1 "$log")" >&2
    return 1
  fi
}

status=0
for image in "${wanted[@]}"; do
  build "$image" || status=1
done
exit $status
