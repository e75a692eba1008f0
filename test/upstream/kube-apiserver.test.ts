import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CRD_FILES, crdSource, validateManifest } from '../support/crd-validator';
import { exampleSets, ManifestSet, samplePerimeters } from './support/corpus';
import { INVALID_OBJECTS } from './support/invalid-objects';
import { KubeApiServer } from './support/kube-apiserver';
import { describeWithTools, toolPath, toolVersion } from './support/tools';

/** Random perimeters dry-run against the server. */
const SAMPLE = Number(process.env.APISERVER_SAMPLE ?? 40);

describeWithTools(`kube-apiserver accepts every synthesized object (${toolVersion('kube-apiserver')}, ${toolVersion('etcd')})`, ['kube-apiserver', 'etcd'], () => {
  let server: KubeApiServer;
  let installed: string[] = [];

  beforeAll(async () => {
    const dir = crdSource().dir;
    if (!dir) throw new Error('no CRD folder: set CRD_DIR or place ../shared/crds beside the clone');
    server = await KubeApiServer.start({ etcd: toolPath('etcd')!, apiserver: toolPath('kube-apiserver')! });
    installed = await server.installCrds(CRD_FILES.map((f) => join(dir, f)));
  }, 240_000);
  afterAll(async () => server?.stop());

  /** Dry-run every object of `sets`; the rejections, with the server's message. */
  async function rejections(sets: ManifestSet[]): Promise<string[]> {
    const out: string[] = [];
    for (const set of sets) {
      for (const obj of set.manifests) {
        const answer = await server.dryRunCreate(obj);
        if (answer.code !== 201) out.push(`${set.name}: ${obj.kind} ${obj.metadata.namespace ?? ''}/${obj.metadata.name}: ${answer.code} ${answer.message}`);
      }
    }
    return out;
  }

  it('installs the Istio, Gateway API and Cilium CRDs', () => {
    expect(installed).toContain('authorizationpolicies.security.istio.io');
    expect(installed).toContain('gateways.gateway.networking.k8s.io');
    expect(installed).toContain('ciliumnetworkpolicies.cilium.io');
  });

  it('accepts every object of every example', async () => {
    const sets = exampleSets();
    expect(sets.flatMap((s) => s.manifests).length).toBeGreaterThan(50);
    expect(await rejections(sets)).toEqual([]);
  }, 120_000);

  it(`accepts every object of ${SAMPLE} random perimeters (fixed seed)`, async () => {
    expect(await rejections(samplePerimeters(SAMPLE))).toEqual([]);
  }, 300_000);

  for (const invalid of INVALID_OBJECTS) {
    it(`rejects, as the JS validator does, naming ${invalid.field}: ${invalid.title}`, async () => {
      const answer = await server.dryRunCreate(invalid.object);
      expect(answer.code, answer.message).toBeGreaterThanOrEqual(400);
      expect(serverFields(answer), answer.message).toContain(invalid.field);
      expect(validateManifest(invalid.object).map(jsField)).toContain(invalid.field);
    });
  }
});

/** The fields the server names: its causes, and the fields of a strict-decoding message (`unknown field "spec.x"`). */
function serverFields(answer: { fields: string[]; message: string }): string[] {
  const unknown = [...answer.message.matchAll(/unknown field "([^"]+)"/g)].map((m) => m[1]);
  return [...answer.fields, ...unknown];
}

/** `AuthorizationPolicy judge/x: spec.rules[0]: …` → `spec.rules[0]`. */
function jsField(error: string): string {
  return error.split(': ')[1];
}
