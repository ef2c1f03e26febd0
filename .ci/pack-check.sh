#!/usr/bin/env bash
# Packs every published package (yarn pack, which runs backstage-cli's
# prepack: main/types/exports to dist, workspace: ranges to versions, the
# config schema) into a temporary folder and checks that each tarball works
# outside this repository (.ci/pack-check.mjs).
#
#   .ci/pack-check.sh [--no-build] [--keep DIR]
#
# --no-build uses the dist folders already there (yarn build:packages).
# --keep DIR writes the tarballs to DIR and keeps them (the adoption check
# installs them); otherwise a temporary folder is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

BUILD=1
KEEP=
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) BUILD=0 ;;
    --keep) KEEP=$2; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

PACKAGES="slipway-common slipway-node slipway-backend scaffolder-backend-module-slipway slipway"

if [ "$BUILD" = 1 ]; then
  yarn build:packages
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/slipway-pack.XXXXXX")
cleanup() { [ -n "${PACK_CHECK_KEEP_WORK:-}" ] && echo "kept $WORK" || rm -rf "$WORK"; }
trap cleanup EXIT
OUT=${KEEP:-$WORK/tarballs}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

sha256sum plugins/*/package.json >"$WORK/package-json.sha256"
for p in $PACKAGES; do
  (cd "plugins/$p" && yarn pack --out "$OUT/%s-%v.tgz" >"$WORK/pack-$p.log" 2>&1) || {
    cat "$WORK/pack-$p.log" >&2
    echo "yarn pack failed in plugins/$p" >&2
    exit 1
  }
done
# postpack restores package.json; make sure nothing was left rewritten.
if ! sha256sum --quiet -c "$WORK/package-json.sha256"; then
  echo "yarn pack left plugins/*/package.json changed" >&2
  exit 1
fi

node "$ROOT/.ci/pack-check.mjs" "$ROOT" "$OUT" "$WORK/install"
