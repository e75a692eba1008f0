import { ApiObject, App, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PerimeterVerifier, Workload } from '../src';
import { fixture } from './support/fixture';

/**
 * The synthesis-time checks read the app once per validation pass (src/private/app-snapshot.ts) and
 * synthesis writes the manifests they read: each pass must see the app as it is, and the output must be
 * the same with the checks on or off.
 */
function shop(verifyOnSynth: boolean) {
  const fx = fixture({ chartId: 'shop', perimeterId: 'mesh', perimeter: { verifyOnSynth }, backstop: true });
  const deploy = (name: string, serviceAccount: kplus.ServiceAccount) => fx.deployment(name, serviceAccount);
  const api = deploy('api', fx.serviceAccount('api'));
  const webSa = fx.serviceAccount('web');
  const web = deploy('web', webSa);
  fx.ns().allow('web-to-api', { from: [Workload.fromDeployment(web).identity], to: Workload.fromDeployment(api) });
  return { app: fx.app, chart: fx.chart, deploy, webSa };
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

/** A hand-written DENY of every request in namespace shop: the declared web -> api no longer gets through. */
function denyAll(chart: Chart): void {
  new ApiObject(chart, 'deny-all', {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'deny-all', namespace: 'shop' },
    spec: { action: 'DENY', rules: [{}] },
  });
}

/** Spies on the proof and counts cdk8s's validation passes over the app. */
function watchPasses(app: App) {
  const compare = vi.spyOn(PerimeterVerifier.prototype, 'compare');
  const validations = vi.fn(() => []);
  app.node.addValidation({ validate: validations });
  return { compare, validations };
}

describe('one proof per synthesis', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('cdk8s validates the app twice per synthesis (once more as it renders the chart); the proof runs once', () => {
    const { app } = shop(true);
    const { compare, validations } = watchPasses(app);
    expect(app.synthYaml()).toContain('kind: AuthorizationPolicy');
    expect(validations).toHaveBeenCalledTimes(2);
    expect(compare).toHaveBeenCalledTimes(1);
  });

  it('a policy added after a synthesis is proven afresh in the next one', async () => {
    const { app, chart } = shop(true);
    expect(synthError(app)).toBe('');
    await Promise.resolve();
    denyAll(chart);
    expect(synthError(app)).toContain('under-permission: shop/web -> shop/api:8080 declared, but ztunnel at shop/api');
  });

  it('a policy added in the same synchronous turn is proven afresh too', () => {
    const { app, chart } = shop(true);
    expect(synthError(app)).toBe('');
    denyAll(chart);
    expect(synthError(app)).toContain('under-permission: shop/web -> shop/api:8080 declared, but ztunnel at shop/api');
  });
});

describe('each synthesis reads the app afresh, even in the same synchronous turn', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const namespaceOf = (chart: Chart) => chart.node.findAll().filter(ApiObject.isApiObject).find((o) => o.kind === 'Namespace')!;

  it('after a synthesis a check of this library failed, a changed object renders afresh', () => {
    const { app, chart, deploy, webSa } = shop(true);
    deploy('web-canary', webSa);
    expect(synthError(app)).toContain('also runs Deployment "shop/web-canary"');
    const ns = namespaceOf(chart);
    ns.metadata.addLabel('team', 'payments');
    expect(ns.toJson().metadata.labels.team).toBe('payments');
  });

  it('after a synthesis another construct failed, a changed object is written afresh', () => {
    const { app, chart } = shop(true);
    let broken = true;
    chart.node.addValidation({ validate: () => (broken ? ['not yet'] : []) });
    expect(synthError(app)).toContain('[shop] not yet');
    broken = false;
    namespaceOf(chart).metadata.addLabel('team', 'payments');
    expect(app.synthYaml()).toContain('team: payments');
    namespaceOf(chart).metadata.addLabel('tier', 'gold');
    expect(Testing.synth(chart).find((o) => o.kind === 'Namespace').metadata.labels).toMatchObject({ team: 'payments', tier: 'gold' });
  });

  it('a chart synthesized alone, then an object of another chart changed: that chart is written afresh', () => {
    const { app, chart } = shop(true);
    const other = new Chart(app, 'other');
    const config = new ApiObject(other, 'config', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'config' } });
    expect(Testing.synth(chart).some((o) => o.kind === 'AuthorizationPolicy')).toBe(true);
    config.metadata.addLabel('team', 'payments');
    expect(Testing.synth(other)[0].metadata.labels).toEqual({ team: 'payments' });
  });

  it('an app\'s own App.synth that renders two charts with a change between them: the second is written afresh', () => {
    const { app, chart } = shop(true);
    const config = new ApiObject(new Chart(app, 'other'), 'config', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'config' } });
    // named like cdk8s's App.synth, which the checks tell from it by where it is defined
    // eslint-disable-next-line @typescript-eslint/no-shadow
    class App {
      public synth() {
        expect(chart.toJson().some((o) => o.kind === 'AuthorizationPolicy')).toBe(true);
        config.metadata.addLabel('team', 'payments');
        return Chart.of(config).toJson();
      }
    }
    expect(new App().synth()[0].metadata.labels).toEqual({ team: 'payments' });
  });

  it('one proof per synthesis: its passes over two charts share it, and a second synthesis proves again', () => {
    const { app } = shop(true);
    new ApiObject(new Chart(app, 'other'), 'config', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'config' } });
    const { compare, validations } = watchPasses(app);
    expect(app.synthYaml()).toContain('kind: ConfigMap');
    // the app, then each chart as synthYaml renders it
    expect(validations).toHaveBeenCalledTimes(3);
    expect(compare).toHaveBeenCalledTimes(1);
    app.synthYaml();
    expect(compare).toHaveBeenCalledTimes(2);
  });
});
