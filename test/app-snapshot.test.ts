import { ApiObject, App, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { describe, expect, it } from 'vitest';
import { KernelBackstop, MeshNamespace, MeshPerimeter, Workload } from '../src';

/**
 * The synthesis-time checks read the app once per validation pass (src/private/app-snapshot.ts) and
 * synthesis writes the manifests they read: each pass must see the app as it is, and the output must be
 * the same with the checks on or off.
 */
function shop(verifyOnSynth: boolean) {
  const app = Testing.app();
  const chart = new Chart(app, 'shop');
  const mesh = new MeshPerimeter(chart, 'mesh', { verifyOnSynth });
  new KernelBackstop(mesh, 'backstop');
  const ns = new MeshNamespace(mesh, 'shop');
  const sa = (name: string) => new kplus.ServiceAccount(chart, `${name}-sa`, { metadata: { name, namespace: 'shop' } });
  const deploy = (name: string, serviceAccount: kplus.ServiceAccount) => new kplus.Deployment(chart, name, {
    metadata: { name, namespace: 'shop' }, serviceAccount, containers: [{ image: name, portNumber: 8080 }],
  });
  const api = deploy('api', sa('api'));
  const webSa = sa('web');
  const web = deploy('web', webSa);
  ns.allow('web-to-api', { from: [Workload.fromDeployment(web).identity], to: Workload.fromDeployment(api) });
  return { app, chart, deploy, webSa };
}

function synthError(app: App): string {
  try {
    app.synthYaml();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

describe('one reading of the app per validation pass', () => {
  it('a workload added after a synthesis counts in the next one', () => {
    const { app, deploy, webSa } = shop(true);
    expect(synthError(app)).toBe('');
    // a second Deployment under the caller's service account: the rule would now admit it too
    deploy('web-canary', webSa);
    expect(synthError(app)).toContain('[shop/mesh/shop/web-to-api] the rule names workload "shop/web" (shop/web) as a caller, but its service account "web" '
      + '(identity cluster.local/ns/shop/sa/web) also runs Deployment "shop/web-canary" (shop/web-canary)');
  });

  it('an object changed after a synthesis is rendered afresh: the loaned rendering ends with the pass', async () => {
    const { app, chart } = shop(true);
    app.synthYaml();
    await Promise.resolve();
    const objects = chart.node.findAll().filter(ApiObject.isApiObject);
    expect(objects.filter((o) => Object.prototype.hasOwnProperty.call(o, 'toJson'))).toEqual([]);
    const ns = objects.find((o) => o.kind === 'Namespace')!;
    ns.metadata.addLabel('team', 'payments');
    expect(ns.toJson().metadata.labels.team).toBe('payments');
    expect(app.synthYaml()).toContain('team: payments');
  });

  it('synthesis writes the same manifests with the synthesis-time proof on and off', () => {
    const on = shop(true).app.synthYaml();
    const off = shop(false).app.synthYaml();
    expect(on).toContain('kind: AuthorizationPolicy');
    expect(on).toBe(off);
  });
});
