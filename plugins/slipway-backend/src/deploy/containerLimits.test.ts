import { ConfigReader } from '@backstage/config';
import { readDeployConfig } from './config';
import { hostConfigFor } from './steps/run';
import { effectiveResources } from './validation';

function configOf(deploy: Record<string, any>) {
  return readDeployConfig(new ConfigReader({ slipway: { deploy } }));
}

describe('container limits', () => {
  it('defaults to no-new-privileges, a PID limit, memory, CPU and a capped json-file log', () => {
    const cfg = configOf({});
    const resources = effectiveResources(cfg, 'orders', undefined);
    expect(resources).toEqual({ memoryMb: 512, cpus: 1 });
    const host = hostConfigFor({
      resources,
      limits: cfg.containers,
      network: 'slipway-orders',
      publishHost: '127.0.0.1',
      port: 8080,
    });
    expect(host).toMatchObject({
      SecurityOpt: ['no-new-privileges:true'],
      PidsLimit: 512,
      Memory: 512 * 1024 * 1024,
      MemorySwap: 512 * 1024 * 1024,
      NanoCpus: 1e9,
      NetworkMode: 'slipway-orders',
      LogConfig: {
        Type: 'json-file',
        Config: { 'max-size': '10m', 'max-file': '3' },
      },
    });
    expect(cfg.timeouts).toEqual({
      cloneSeconds: 300,
      buildSeconds: 900,
      dockerApiSeconds: 60,
      healthSeconds: 60,
    });
    expect(cfg.logMaxBytesPerDeployment).toBe(5 * 1024 * 1024);
    expect(cfg.installationId).toBe('default');
  });

  it('lets an admin loosen one app only', () => {
    const cfg = configOf({
      containers: {
        maxMemoryMb: 1024,
        apps: {
          legacy: { allowPrivilegeEscalation: true, maxMemoryMb: 8192 },
        },
      },
    });
    expect(() => effectiveResources(cfg, 'orders', { memoryMb: 4096 })).toThrow(
      /over the maximum of 1024 MB \(slipway\.deploy\.containers\.maxMemoryMb\)/,
    );
    expect(effectiveResources(cfg, 'legacy', { memoryMb: 4096 })).toEqual({
      memoryMb: 4096,
      cpus: 1,
    });
    const legacy = hostConfigFor({
      resources: { memoryMb: 4096, cpus: 1 },
      limits: { ...cfg.containers, ...cfg.containersPerApp.legacy },
      network: 'n',
      publishHost: '127.0.0.1',
      port: 80,
    });
    expect(legacy.SecurityOpt).toEqual([]);
  });

  it('refuses an installation id that could collide with names of another', () => {
    expect(() => configOf({ installationId: 'a--b' })).toThrow(
      /slipway\.deploy\.installationId/,
    );
    expect(() => configOf({ installationId: 'Prod' })).toThrow(
      /slipway\.deploy\.installationId/,
    );
    expect(configOf({ installationId: 'prod-eu' }).installationId).toBe(
      'prod-eu',
    );
  });

  it('reads timeouts, keeping build.timeoutSeconds as the build default', () => {
    expect(
      configOf({ build: { timeoutSeconds: 120 } }).timeouts.buildSeconds,
    ).toBe(120);
    expect(
      configOf({
        build: { timeoutSeconds: 120 },
        timeouts: { buildSeconds: 60, cloneSeconds: 5 },
      }).timeouts,
    ).toMatchObject({ buildSeconds: 60, cloneSeconds: 5 });
  });
});
