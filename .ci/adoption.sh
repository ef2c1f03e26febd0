#!/usr/bin/env bash
# Adoption check (issue #11): a fresh Backstage app from @backstage/create-app,
# then the steps of the README's "Install into an existing Backstage app"
# with the packed tarballs, then yarn tsc, the backend starts and
# /api/slipway/health answers, and in Chromium an example entity shows the
# CI/CD card and the Live feed tab (new frontend system). .ci/run calls it.
#
#   .ci/adoption.sh [--keep DIR]
#
# Needs Node 22+ on PATH (create-app refuses Node 20) and the packages built
# (yarn build:packages). Prints the time of each step.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=
case "${1:-}" in
  --keep) WORK=$2; mkdir -p "$WORK"; WORK=$(cd "$WORK" && pwd) ;;
  '') WORK=$(mktemp -d "${TMPDIR:-/tmp}/slipway-adoption.XXXXXX") ;;
  *) echo "unknown argument: $1" >&2; exit 2 ;;
esac
PORT=${SLIPWAY_ADOPTION_PORT:-7277}
BACKEND_PGID=
cleanup() {
  if [ -n "$BACKEND_PGID" ]; then kill -TERM -- "-$BACKEND_PGID" 2>/dev/null || true; fi
}
trap cleanup EXIT
T0=$(date +%s)
step() { echo "[adoption] $(( $(date +%s) - T0 ))s $*"; }

step "pack the tarballs"
# SLIPWAY_ADOPTION_REUSE_TARBALLS=1 with --keep reuses those of an earlier run.
[ "${SLIPWAY_ADOPTION_REUSE_TARBALLS:-}" = 1 ] && [ -d "$WORK/tarballs" ] ||
bash .ci/pack-check.sh --no-build --keep "$WORK/tarballs" >"$WORK/pack.log" 2>&1 || {
  tail -30 "$WORK/pack.log" >&2
  exit 1
}
tgz() { ls "$WORK/tarballs"/@slipway-"$1"-[0-9]*.tgz; }

step "create the app (create-app, no install)"
rm -rf "$WORK/app"
echo slipway-adoption | npx -y @backstage/create-app@0.9.2 --skip-install --path "$WORK/app" >"$WORK/create.log" 2>&1
cd "$WORK/app"
# The yarn.lock seed cannot be fetched here; pins for the partial registry
# mirror (docs: ENVIRONMENT facts in the README's CI section) and the
# unpublished Slipway packages resolve to their tarballs.
rm -f yarn.lock
node - "$(tgz plugin-slipway-common)" "$(tgz plugin-slipway-node)" <<'EOF'
const fs = require('fs');
const [common, node] = process.argv.slice(2);
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
pkg.resolutions = {
  ...pkg.resolutions,
  '@swc/core': '1.16.18',
  'unrs-resolver': '1.12.2',
  rollup: '4.67.4',
  '@yarnpkg/core': '4.9.1',
  'better-sqlite3': '^13.0.3',
  // create-app 0.9.2 (Backstage 1.55) pins backend-defaults ^0.18.0, but
  // signals-backend ^0.3.19 now resolves to 0.3.21, whose startup calls
  // httpRouter.addWebSocketHandler, which backend-defaults 0.18 lacks: the
  // whole backend then fails to start. 0.3.19 is the 1.55 release's version.
  '@backstage/plugin-signals-backend': '0.3.19',
  '@slipway/plugin-slipway-common': `file:${common}`,
  '@slipway/plugin-slipway-node': `file:${node}`,
};
fs.writeFileSync('package.json', `${JSON.stringify(pkg, null, 2)}\n`);
EOF
YARN=(node "$(ls "$PWD"/.yarn/releases/yarn-*.cjs)")
# Resolving a whole new lockfile crashes Yarn 4 under Node 24 here: resolve
# with the machine's Node 20 when there is one, install with Node 24.
RESOLVE_NODE=node
[ -x /usr/bin/node ] && RESOLVE_NODE=/usr/bin/node

step "README: yarn add the packages (tarballs)"
(cd packages/backend && "$RESOLVE_NODE" "${YARN[1]}" add \
  "@slipway/plugin-slipway-backend@file:$(tgz plugin-slipway-backend)" \
  "@slipway/plugin-scaffolder-backend-module-slipway@file:$(tgz plugin-scaffolder-backend-module-slipway)" \
  --mode=update-lockfile) >"$WORK/add-backend.log" 2>&1 || { tail -30 "$WORK/add-backend.log" >&2; exit 1; }
(cd packages/app && "$RESOLVE_NODE" "${YARN[1]}" add \
  "@slipway/plugin-slipway@file:$(tgz plugin-slipway)" \
  --mode=update-lockfile) >"$WORK/add-app.log" 2>&1 || { tail -30 "$WORK/add-app.log" >&2; exit 1; }

step "README: backend.add the plugin and the scaffolder module"
node - <<'EOF'
const fs = require('fs');
const file = 'packages/backend/src/index.ts';
const src = fs.readFileSync(file, 'utf8');
const lines =
  "backend.add(import('@slipway/plugin-slipway-backend'));\n" +
  "backend.add(import('@slipway/plugin-scaffolder-backend-module-slipway'));\n";
if (!src.includes('backend.start();')) throw new Error('no backend.start() in ' + file);
fs.writeFileSync(file, src.replace('backend.start();', `${lines}\nbackend.start();`));
EOF
# New frontend system with app.packages: all: the plugin is discovered.

step "yarn install"
"${YARN[@]}" install >"$WORK/install.log" 2>&1 || { tail -30 "$WORK/install.log" >&2; exit 1; }

step "yarn tsc"
"${YARN[@]}" tsc >"$WORK/tsc.log" 2>&1 || { tail -30 "$WORK/tsc.log" >&2; exit 1; }

step "frontend bundle (yarn build in packages/app)"
# The backend's app plugin serves the built bundle on the backend's port, so
# one process serves what the browser step opens.
(cd packages/app && "${YARN[@]}" build) >"$WORK/app-build.log" 2>&1 || { tail -30 "$WORK/app-build.log" >&2; exit 1; }

# Test setup, not an install step: an example entity that names a GitHub
# repository (a Component only: create-app's catalog.rules allow no Group,
# and a refused entity makes the catalog drop the whole file), and this
# check's own port and Docker installation id (so its
# deploy engine never touches another Slipway's containers on that engine).
mkdir -p examples
cat >examples/slipway-adoption.yaml <<'EOF'
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: slipway-adoption
  annotations:
    github.com/project-slug: acme/slipway-adoption
spec:
  type: service
  lifecycle: experimental
  owner: guests
EOF
cat >app-config.adoption.yaml <<EOF
app:
  baseUrl: http://localhost:$PORT
backend:
  baseUrl: http://localhost:$PORT
  listen:
    port: $PORT
  cors:
    origin: http://localhost:$PORT
catalog:
  locations:
    - type: file
      target: ../../examples/slipway-adoption.yaml
slipway:
  deploy:
    installationId: adoption
EOF

step "start the backend on :$PORT"
# setsid: the backend and its children form one process group, stopped
# together by its id.
setsid bash -c 'cd packages/backend && exec "$@" start --config ../../app-config.yaml --config ../../app-config.adoption.yaml' \
  _ "${YARN[@]}" >"$WORK/backend.log" 2>&1 &
BACKEND_PGID=$!
ok=
for _ in $(seq 1 60); do
  sleep 3
  if curl -sf "http://127.0.0.1:$PORT/api/slipway/health" >"$WORK/health.json"; then ok=1; break; fi
done
if [ -z "$ok" ]; then
  tail -40 "$WORK/backend.log" >&2
  echo "[adoption] /api/slipway/health did not answer" >&2
  exit 1
fi
step "/api/slipway/health: $(tr -d '\n ' <"$WORK/health.json")"

step "Chromium: the entity page shows the CI/CD card and the Live feed tab"
(cd "$ROOT" && node .ci/adoption-browser.mjs "http://localhost:$PORT" \
  /catalog/default/component/slipway-adoption "$WORK") || {
  tail -40 "$WORK/backend.log" >&2
  exit 1
}
kill -TERM -- "-$BACKEND_PGID" 2>/dev/null || true
BACKEND_PGID=
step "done (work folder $WORK)"
