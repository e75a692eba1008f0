import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';

/** An object of the app; its manifest is rendered on first use, once per synthesis. */
export interface AppObject {
  readonly object: ApiObject;
  /** The manifest, as synthesis will write it. */
  readonly json: any;
  /** `metadata.namespace`, else the chart's namespace, else `default`. */
  readonly namespace: string;
}

/**
 * One synthesis of the app, as the synthesis-time checks see it: their reading of the app (`objects`), the
 * renderings lent to synthesis (`loans`), and what the checks worked out (`memo`).
 */
interface Synthesis {
  /**
   * The frames that called `App.synth`/`App.synthYaml`, when this synthesis is one of those: its later
   * validation passes run inside it (`Chart.toJson`), called from the very same frames.
   */
  readonly caller?: string;
  objects?: readonly AppObject[];
  readonly loans: ApiObject[];
  readonly memo: Map<object, unknown>;
  /** A check of this library failed the pass: nothing more is lent. */
  failed?: boolean;
}

const syntheses = new WeakMap<IConstruct, Synthesis>();
const hooked = new WeakSet<IConstruct>();

/**
 * Every `ApiObject` of the app, read once per synthesis and shared by the synthesis-time checks (shared
 * identities, selectors that match nothing, the perimeter proof), which would otherwise each walk the whole
 * tree and render its objects again — once per rule, for the shared-identity check, which made synthesis
 * quadratic in the rules. A manifest is rendered when a check first reads it, and synthesis then writes
 * that rendering instead of rendering the object a second time.
 *
 * Why that is sound: cdk8s validates every construct in tree order, the root first, and then renders each
 * object, with nothing in between that changes an object. `App.synthYaml` and `App.synth` validate the app,
 * then validate it again in each chart's `toJson` (`App._synthChart`) before rendering that chart's objects;
 * no code of the app runs between those passes, so they share one reading, and what the checks worked out
 * in the first pass (`memoized`) holds in the others. Every other pass — a synthesis called again, even
 * after one that failed, or `Testing.synth`/`Chart.toJson` called alone — starts a synthesis of its own: a
 * validation on the root, which cdk8s validates first, tells them apart by the frames that called it
 * (`passSite`), and ends the previous synthesis's loans, so an object changed in between is rendered afresh.
 * A rendering is lent to the object's next `toJson()` only (synthesis's); loans also end when a check of
 * this library fails the pass (`addCheck`: no synthesis follows) and when the synchronous code is over.
 * The checks only read the manifests.
 */
export function appObjects(scope: IConstruct): readonly AppObject[] {
  const synthesis = synthesisOf(scope.node.root);
  if (!synthesis.objects) {
    synthesis.objects = scope.node.root.node.findAll().filter(ApiObject.isApiObject).map((object) => lazyObject(object, synthesis));
  }
  return synthesis.objects;
}

/**
 * What `make` returns for `key`, worked out once per synthesis (see `appObjects`); for checks whose answer
 * only depends on the app. `key` is an object only that check uses (its rule, graph, perimeter or function).
 */
export function memoized<T>(scope: IConstruct, key: object, make: () => T): T {
  const memo = synthesisOf(scope.node.root).memo;
  if (memo.has(key)) return memo.get(key) as T;
  const value = make();
  memo.set(key, value);
  return value;
}

/**
 * Adds a synthesis-time check of this library to `scope`. When it has messages the pass fails and no
 * synthesis follows it, so the renderings lent to synthesis are given back at once: code that catches the
 * failure and changes an object then renders it afresh.
 */
export function addCheck(scope: IConstruct, check: () => string[]): void {
  scope.node.addValidation({
    validate: () => {
      const messages = check();
      const synthesis = messages.length > 0 ? syntheses.get(scope.node.root) : undefined;
      if (synthesis) {
        synthesis.failed = true;
        endLoans(synthesis);
      }
      return messages;
    },
  });
}

function synthesisOf(root: IConstruct): Synthesis {
  if (!hooked.has(root)) {
    hooked.add(root);
    root.node.addValidation({
      validate: () => {
        const site = passSite();
        const current = syntheses.get(root);
        // a later pass of the same App.synth/synthYaml call reads the app as its first pass did
        if (current?.caller !== undefined && site.nested && site.caller === current.caller) return [];
        if (current) end(root, current);
        begin(root, site);
        return [];
      },
    });
  }
  return syntheses.get(root) ?? begin(root, passSite());
}

/** A synthesis that starts in a pass at `site`: only a first pass of App.synth/synthYaml has later passes. */
function begin(root: IConstruct, site: ReturnType<typeof passSite>): Synthesis {
  const synthesis: Synthesis = { caller: site.nested ? undefined : site.caller, loans: [], memo: new Map() };
  syntheses.set(root, synthesis);
  queueMicrotask(() => end(root, synthesis));
  return synthesis;
}

function end(root: IConstruct, synthesis: Synthesis): void {
  if (syntheses.get(root) === synthesis) syntheses.delete(root);
  endLoans(synthesis);
}

function endLoans(synthesis: Synthesis): void {
  for (const object of synthesis.loans.splice(0)) delete (object as any).toJson;
}

/**
 * Where a validation pass runs: the frames that called `App.synth`/`App.synthYaml` (cdk8s `app.ts`), if
 * one did, and whether the pass is one of its later ones (inside `Chart.toJson`, which it calls per chart).
 */
function passSite(): { readonly caller?: string; readonly nested: boolean } {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = Infinity;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  const frames = stack.split('\n');
  // cdk8s's own frames: an app's class or method of the same name is not taken for them
  const i = frames.findIndex((f) => /\bApp\.(synth|synthYaml) \(.*\bcdk8s[\\/]lib[\\/]app\.[jt]s\b/.test(f));
  if (i < 0) return { nested: false };
  return { caller: frames.slice(i + 1).join('\n'), nested: /\bChart\.toJson \(.*\bcdk8s[\\/]lib[\\/]chart\.[jt]s\b/.test(frames[i - 1]) };
}

function lazyObject(object: ApiObject, synthesis: Synthesis): AppObject {
  let json: any;
  return {
    object,
    get json() {
      if (json === undefined) {
        json = object.toJson();
        if (synthesis.failed) return json;
        // the next rendering of this object, synthesis's, is this one
        Object.defineProperty(object, 'toJson', {
          configurable: true,
          writable: true,
          value: () => {
            delete (object as any).toJson;
            return json;
          },
        });
        synthesis.loans.push(object);
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
