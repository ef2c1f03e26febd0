// Checks the tarballs of `yarn pack` outside this repository.
//
//   node .ci/pack-check.mjs <repo root> <tarball dir> <install dir>
//
// Each tarball is extracted into <install dir>/node_modules/<name>, as a
// package manager would install it. Third-party packages are linked from the
// repository's node_modules (this machine has no registry that holds our
// packages); the Slipway packages themselves resolve only to the tarballs.
// Then, for every package:
//   - package.json: no workspace: ranges, main/module/types/exports/
//     typesVersions/configSchema name files that are in the tarball, no src;
//   - every import in dist names a declared dependency (hoisting in this
//     repository hides undeclared ones) or a file in the tarball;
//   - backend packages load with require(), plugins and modules default-export
//     a backend feature; the backend plugin starts from the tarball (its
//     migrations run) and answers GET /api/slipway/health;
//   - the backend tarball carries every migration of plugins/slipway-backend.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

const [root, tarballDir, installDir] = process.argv
  .slice(2)
  .map(p => path.resolve(p));
if (!root || !tarballDir || !installDir) {
  console.error(
    'usage: node .ci/pack-check.mjs <repo root> <tarball dir> <install dir>',
  );
  process.exit(2);
}

const problems = [];
const fail = (pkg, message) => problems.push(`${pkg}: ${message}`);

// 1. An install folder outside the repository.
const nodeModules = path.join(installDir, 'node_modules');
fs.rmSync(installDir, { recursive: true, force: true });
fs.mkdirSync(nodeModules, { recursive: true });
const repoModules = path.join(root, 'node_modules');
for (const entry of fs.readdirSync(repoModules)) {
  if (entry === '@slipway' || entry.startsWith('.')) continue;
  if (entry.startsWith('@')) {
    fs.mkdirSync(path.join(nodeModules, entry));
    for (const scoped of fs.readdirSync(path.join(repoModules, entry))) {
      fs.symlinkSync(
        path.join(repoModules, entry, scoped),
        path.join(nodeModules, entry, scoped),
      );
    }
  } else {
    fs.symlinkSync(
      path.join(repoModules, entry),
      path.join(nodeModules, entry),
    );
  }
}

const tarballs = fs.readdirSync(tarballDir).filter(f => f.endsWith('.tgz'));
if (tarballs.length === 0) {
  console.error(`no tarballs in ${tarballDir}`);
  process.exit(1);
}
const packages = [];
for (const tarball of tarballs) {
  const staging = fs.mkdtempSync(path.join(installDir, 'x-'));
  execFileSync('tar', ['-xzf', path.join(tarballDir, tarball), '-C', staging]);
  const dir = path.join(staging, 'package');
  const pkg = JSON.parse(
    fs.readFileSync(path.join(dir, 'package.json'), 'utf8'),
  );
  const target = path.join(nodeModules, ...pkg.name.split('/'));
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.renameSync(dir, target);
  fs.rmSync(staging, { recursive: true });
  const size = fs.statSync(path.join(tarballDir, tarball)).size;
  packages.push({ pkg, dir: target, tarball, size });
}
fs.writeFileSync(
  path.join(installDir, 'package.json'),
  JSON.stringify(
    {
      name: 'slipway-pack-check',
      private: true,
      dependencies: Object.fromEntries(
        packages.map(p => [p.pkg.name, `file:${p.tarball}`]),
      ),
    },
    null,
    2,
  ),
);

function filesUnder(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

function exportTargets(value) {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') {
    // The "backstage" condition is metadata (the feature type), not a file.
    return Object.entries(value)
      .filter(([condition]) => condition !== 'backstage')
      .flatMap(([, v]) => exportTargets(v));
  }
  return [];
}

const builtins = new Set(builtinModules.flatMap(m => [m, `node:${m}`]));
const packageOf = spec =>
  spec.startsWith('@')
    ? spec.split('/').slice(0, 2).join('/')
    : spec.split('/')[0];

// 2. Static checks of each package.
for (const { pkg, dir } of packages) {
  const name = pkg.name;
  const has = rel => fs.existsSync(path.join(dir, rel));
  for (const field of ['dependencies', 'peerDependencies']) {
    for (const [dep, range] of Object.entries(pkg[field] ?? {})) {
      if (String(range).startsWith('workspace:')) {
        fail(name, `${field}.${dep} is still ${range}`);
      }
    }
  }
  for (const field of ['main', 'module', 'types']) {
    if (pkg[field] === undefined) {
      if (field !== 'module') fail(name, `no ${field}`);
      continue;
    }
    if (!pkg[field].replace(/^\.\//, '').startsWith('dist/')) {
      fail(name, `${field} is ${pkg[field]}, not in dist`);
    }
    if (!has(pkg[field]))
      fail(name, `${field} ${pkg[field]} is not in the tarball`);
  }
  for (const target of exportTargets(pkg.exports)) {
    if (!has(target)) fail(name, `exports names ${target}, not in the tarball`);
  }
  for (const [sub, targets] of Object.entries(pkg.typesVersions?.['*'] ?? {})) {
    for (const target of targets) {
      if (!has(target)) {
        fail(name, `typesVersions ${sub} names ${target}, not in the tarball`);
      }
    }
    if (pkg.exports && sub !== 'package.json' && !pkg.exports[`./${sub}`]) {
      fail(name, `typesVersions has ${sub} but exports has no ./${sub}`);
    }
  }
  if (pkg.configSchema && !has(pkg.configSchema)) {
    fail(name, `configSchema ${pkg.configSchema} is not in the tarball`);
  }
  if (has('src')) fail(name, 'the tarball contains src/');
  if (!has('README.md')) fail(name, 'the tarball has no README.md');
  if (pkg.publishConfig?.access !== 'public') {
    fail(name, 'publishConfig.access is not public');
  }

  // Every import of dist names a declared dependency or a file inside.
  const declared = new Set([
    name,
    ...Object.keys(pkg.dependencies ?? {}),
    ...Object.keys(pkg.peerDependencies ?? {}),
  ]);
  const importRe =
    /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"\s$`]+)['"]/gm;
  for (const file of filesUnder(path.join(dir, 'dist'))) {
    if (!/\.(c|m)?js$/.test(file)) continue;
    const text = fs.readFileSync(file, 'utf8');
    for (const [, spec] of text.matchAll(importRe)) {
      if (spec.startsWith('.')) {
        const resolved = path.resolve(path.dirname(file), spec);
        if (
          ![resolved, `${resolved}.js`, path.join(resolved, 'index.js')].some(
            f => fs.existsSync(f),
          )
        ) {
          fail(
            name,
            `${path.relative(dir, file)} imports ${spec}, not in the tarball`,
          );
        }
      } else if (!builtins.has(spec) && !builtins.has(packageOf(spec))) {
        if (!declared.has(packageOf(spec))) {
          fail(
            name,
            `${path.relative(
              dir,
              file,
            )} imports ${spec}, which is not a dependency`,
          );
        }
      }
    }
  }
  // Every dependency is installable here (is in the install folder).
  for (const dep of Object.keys(pkg.dependencies ?? {})) {
    if (!fs.existsSync(path.join(nodeModules, ...dep.split('/')))) {
      fail(name, `dependency ${dep} is not available`);
    }
  }
}

// 3. The backend tarball carries every migration.
const backend = packages.find(
  p => p.pkg.name === '@slipway/plugin-slipway-backend',
);
if (!backend) {
  problems.push('no tarball of @slipway/plugin-slipway-backend');
} else {
  const expected = fs
    .readdirSync(path.join(root, 'plugins/slipway-backend/migrations'))
    .filter(f => f.endsWith('.js'));
  const packed = fs.existsSync(path.join(backend.dir, 'migrations'))
    ? fs.readdirSync(path.join(backend.dir, 'migrations'))
    : [];
  for (const m of expected) {
    if (!packed.includes(m))
      fail(backend.pkg.name, `migration ${m} is missing`);
  }
}

// 4. Load the backend packages, start the backend plugin, from the tarballs.
const env = { ...process.env };
delete env.NODE_PATH;
delete env.NODE_OPTIONS;
delete env.SLIPWAY_REQUIRE_SERVICES;
const runNode = (pkgName, script) => {
  try {
    return execFileSync(
      process.execPath,
      // Resolve from the links' paths: a package of the repository that
      // resolves a Slipway package (resolvePackagePath of the migrations)
      // then finds the tarball's copy, not the workspace.
      ['--preserve-symlinks', '--input-type=module', '-e', script],
      {
        cwd: installDir,
        env,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: Number(process.env.PACK_CHECK_TIMEOUT_MS ?? 120_000),
      },
    );
  } catch (e) {
    fail(
      pkgName,
      `${(e.stderr || e.message).trim().split('\n').slice(-15).join('\n')}`,
    );
    return undefined;
  }
};
for (const { pkg, dir } of packages) {
  const role = pkg.backstage?.role;
  if (
    ![
      'backend-plugin',
      'backend-plugin-module',
      'node-library',
      'common-library',
    ].includes(role)
  ) {
    continue;
  }
  const out = runNode(
    pkg.name,
    `
    import { createRequire } from 'node:module';
    const require = createRequire(${JSON.stringify(
      path.join(installDir, 'x.js'),
    )});
    const resolved = require.resolve(${JSON.stringify(pkg.name)});
    const m = require(${JSON.stringify(pkg.name)});
    const feature = m.default;
    console.log(JSON.stringify({
      resolved,
      exports: Object.keys(m).length,
      feature: feature && feature.$$type,
    }));
    `,
  );
  if (!out) continue;
  const result = JSON.parse(out.trim().split('\n').pop());
  if (!result.resolved.startsWith(dir + path.sep)) {
    fail(pkg.name, `resolved to ${result.resolved}, not the tarball`);
  }
  if (result.exports === 0) fail(pkg.name, 'require() gives no exports');
  if (
    role.startsWith('backend-plugin') &&
    result.feature !== '@backstage/BackendFeature'
  ) {
    fail(
      pkg.name,
      `default export is ${result.feature}, not a backend feature`,
    );
  }
}
if (backend) {
  const out = runNode(
    backend.pkg.name,
    `
    import { createRequire } from 'node:module';
    const require = createRequire(${JSON.stringify(
      path.join(installDir, 'x.js'),
    )});
    const { startTestBackend } = require('@backstage/backend-test-utils');
    const { resolvePackagePath } = require('@backstage/backend-plugin-api');
    const backend = await startTestBackend({
      features: [require('@slipway/plugin-slipway-backend')],
    });
    try {
      const { server } = backend;
      const port = server.address().port;
      const res = await fetch('http://127.0.0.1:' + port + '/api/slipway/health');
      console.log(JSON.stringify({
        status: res.status,
        body: await res.json(),
        migrations: resolvePackagePath('@slipway/plugin-slipway-backend', 'migrations'),
      }));
    } finally {
      await backend.stop();
    }
    // Timers of the backend's services may outlive stop(); the answer is in.
    process.exit(0);
    `,
  );
  if (out) {
    const result = JSON.parse(out.trim().split('\n').pop());
    if (!result.migrations.startsWith(backend.dir + path.sep)) {
      fail(backend.pkg.name, `migrations resolve to ${result.migrations}`);
    }
    if (result.status !== 200 && result.status !== 503) {
      fail(
        backend.pkg.name,
        `GET /api/slipway/health answered ${result.status}`,
      );
    }
    if (!['ok', 'degraded'].includes(result.body?.status)) {
      fail(backend.pkg.name, `health body ${JSON.stringify(result.body)}`);
    }
    console.log(
      `backend from the tarball: /api/slipway/health ${
        result.status
      } ${JSON.stringify(result.body)}`,
    );
  }
}

for (const { pkg, tarball, size, dir } of packages) {
  const files = filesUnder(dir).length;
  console.log(
    `${pkg.name}: ${tarball} ${(size / 1024).toFixed(1)} KiB, ${files} files`,
  );
}
if (problems.length) {
  console.error(`\n${problems.length} problem(s):\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log(
  `pack check: ${packages.length} packages install and load outside the repository`,
);
