import { expect, it } from 'vitest';
import { exampleSets, samplePerimeters, tempDir, writeSet } from './support/corpus';
import { analyze, IstioctlMessage, validate } from './support/istioctl';
import { allowed, ISTIOCTL_ALLOWED } from './support/istioctl-allowed';
import { describeWithTools, toolPath, toolVersion } from './support/tools';

/** Random perimeters judged besides the examples (NetworkPolicy and Cilium, ambient and sidecar). */
const SAMPLE = Number(process.env.ISTIOCTL_SAMPLE ?? 30);

describeWithTools(`istioctl judges the examples and ${SAMPLE} random perimeters (${toolVersion('istioctl')})`, ['istioctl'], () => {
  const dir = tempDir('istioctl');
  const files = [...exampleSets(), ...samplePerimeters(SAMPLE)].map((s) => ({ name: s.name, file: writeSet(dir, s) }));
  const seen = new Set<unknown>();

  /** Messages not explained by the allow-list, as `set: command level code: text`. */
  function unexplained(run: (istioctl: string, file: string) => IstioctlMessage[]): string[] {
    return files.flatMap(({ name, file }) => run(toolPath('istioctl')!, file).filter((m) => {
      const entry = allowed(m);
      if (entry) seen.add(entry);
      return !entry;
    }).map((m) => `${name}: ${m.command} ${m.level} ${m.code}: ${m.text}`));
  }

  it('istioctl validate: no errors, and no warning that the allow-list does not explain', () => {
    expect(unexplained(validate)).toEqual([]);
  }, 600_000);

  it('istioctl analyze --use-kube=false: no errors, and no message that the allow-list does not explain', () => {
    expect(unexplained(analyze)).toEqual([]);
  }, 600_000);

  it('reports what it should: a Service with an unnamed port (validate), a TCP ServiceEntry without addresses (analyze, IST0134)', () => {
    const control = writeSet(dir, {
      name: 'control',
      manifests: [
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'shop' }, spec: { selector: { app: 'api' }, ports: [{ port: 80 }] } },
        {
          apiVersion: 'networking.istio.io/v1',
          kind: 'ServiceEntry',
          metadata: { name: 'db', namespace: 'shop' },
          spec: { hosts: ['db.example.com'], ports: [{ number: 5432, name: 'tcp', protocol: 'TCP' }], resolution: 'DNS' },
        },
      ],
    });
    expect(validate(toolPath('istioctl')!, control).map((m) => `${m.level} ${m.text}`).join('\n')).toMatch(/Error.*has an unnamed port/);
    expect(analyze(toolPath('istioctl')!, control).map((m) => m.code)).toContain('IST0134');
  });

  it('every allow-list entry for offline runs still explains something istioctl says', () => {
    expect(ISTIOCTL_ALLOWED.filter((a) => !a.live && !seen.has(a)).map((a) => `${a.command} ${a.code} ${a.text}`)).toEqual([]);
  });
});
