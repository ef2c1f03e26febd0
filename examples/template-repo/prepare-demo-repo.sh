#!/bin/sh
# Makes a bare git repository from examples/template-repo for local demos
# and tests: one commit on main, tagged v1, with the host's static busybox
# binary added to busybox-site/ (binaries are not committed to Slipway).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
target=${1:-/tmp/slipway/template-repo.git}
busybox=${BUSYBOX:-/bin/busybox}
if [ ! -x "$busybox" ]; then
  echo "prepare-demo-repo: $busybox not found; install busybox-static or set BUSYBOX" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -R "$here/." "$work/"
rm -f "$work/prepare-demo-repo.sh"
cp "$busybox" "$work/busybox-site/busybox"
rm -rf "$target"
mkdir -p "$(dirname "$target")"
git init -q --bare -b main "$target"
# Like GitHub: serve partial (blob-filtered) fetches and fetches by sha.
git -C "$target" config uploadpack.allowFilter true
git -C "$target" config uploadpack.allowAnySHA1InWant true
cd "$work"
git init -q -b main
git add -A
GIT_AUTHOR_NAME=Slipway GIT_AUTHOR_EMAIL=slipway@example.com \
GIT_COMMITTER_NAME=Slipway GIT_COMMITTER_EMAIL=slipway@example.com \
  git commit -q -m "Slipway example templates"
git tag v1
git push -q "$target" main v1
echo "prepare-demo-repo: file://$target ready (main, tag v1)"
