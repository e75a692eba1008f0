import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';

/** An object of the app; its manifest is rendered on first use, once per validation pass. */
export interface AppObject {
  readonly object: ApiObject;
  /** The manifest, as synthesis will write it. */
  readonly json: any;
  /** `metadata.namespace`, else the chart's namespace, else `default`. */
  readonly namespace: string;
}

const snapshots = new WeakMap<IConstruct, readonly AppObject[]>();
const hooked = new WeakSet<IConstruct>();

/**
 * Every `ApiObject` of the app, walked once per validation pass and shared by the synthesis-time checks
 * (shared identities, selectors that match nothing, the perimeter proof), which would otherwise each walk
 * the whole tree and render its objects again — once per rule, for the shared-identity check, which made
 * synthesis quadratic in the rules. A manifest is rendered when a check first reads it, and synthesis
 * then writes that rendering instead of rendering the object a second time.
 *
 * Why that is sound: cdk8s validates every construct in tree order, the root first, and then renders each
 * object (`App.synth`/`synthYaml`: `validate`, dependency ordering, `toJson`), with nothing in between that
 * changes an object. A validation on the root drops the snapshot as each pass starts; a rendering handed
 * to the checks is also lent, once, to the object's next `toJson()` (synthesis's), and every loan and the
 * snapshot end when the synchronous pass is over, so an object changed after a synthesis renders afresh.
 * The checks only read the manifests.
 */
export function appObjects(scope: IConstruct): readonly AppObject[] {
  const root = scope.node.root;
  if (!hooked.has(root)) {
    hooked.add(root);
    root.node.addValidation({
      validate: () => {
        snapshots.delete(root);
        return [];
      },
    });
  }
  let snapshot = snapshots.get(root);
  if (snapshot) return snapshot;
  const loans: ApiObject[] = [];
  const taken = root.node.findAll().filter(ApiObject.isApiObject).map((object) => lazyObject(object, loans));
  snapshots.set(root, taken);
  queueMicrotask(() => {
    if (snapshots.get(root) === taken) snapshots.delete(root);
    for (const object of loans) delete (object as any).toJson;
  });
  return taken;
}

function lazyObject(object: ApiObject, loans: ApiObject[]): AppObject {
  let json: any;
  return {
    object,
    get json() {
      if (json === undefined) {
        json = object.toJson();
        // the next rendering of this object, synthesis's, is this one
        Object.defineProperty(object, 'toJson', {
          configurable: true,
          writable: true,
          value: () => {
            delete (object as any).toJson;
            return json;
          },
        });
        loans.push(object);
      }
      return json;
    },
    get namespace() {
      return this.json.metadata?.namespace ?? Chart.of(object).namespace ?? 'default';
    },
  };
}

/** The kinds that run pods, and where each keeps its pod template (metadata and spec). */
const POD_TEMPLATES: Record<string, (json: any) => any> = {
  Pod: (j) => j,
  Deployment: (j) => j.spec?.template,
  StatefulSet: (j) => j.spec?.template,
  DaemonSet: (j) => j.spec?.template,
  ReplicaSet: (j) => j.spec?.template,
  Job: (j) => j.spec?.template,
  CronJob: (j) => j.spec?.jobTemplate?.spec?.template,
};

/** The pod template of an object that runs pods (rendering only those), else undefined. */
export function podTemplateOf(o: AppObject): any {
  const template = POD_TEMPLATES[o.object.kind];
  return template ? template(o.json) : undefined;
}
