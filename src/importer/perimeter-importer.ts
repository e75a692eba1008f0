import { parseAllDocuments, stringify } from 'yaml';
import { FlowOutcome } from './flow-outcome';
import { prove } from './import-proof';
import { importMarkdown } from './import-report';
import { ImportPlan } from './plan';
import { oldObjects, readIntent } from './read-intent';
import { renderCode } from './render-code';
import { synthesizeCode } from './run-code';
import { ManifestError } from '../verifier/model';

/** Options for `PerimeterImporter`. */
export interface PerimeterImporterOptions {
  /**
   * The mesh root namespace (where mesh-wide policies live).
   * @default "istio-system"
   */
  readonly rootNamespace?: string;
  /**
   * The mesh trust domain.
   * @default - the trust domain most principals of the policies name, else "cluster.local"
   */
  readonly trustDomain?: string;
  /**
   * Import only these namespaces: the rules protecting their workloads and the egress of their callers.
   * Objects of other namespaces stay as they are, and only flows into (or out of the cluster from) these
   * namespaces are compared.
   * @default - every namespace
   */
  readonly namespaces?: string[];
  /**
   * Kinds to skip, as the verifier's `ignoreKinds` (`Kind`, `group/Kind` or `core/Kind`).
   * @default - none
   */
  readonly ignoreKinds?: string[];
  /**
   * Where the manifests came from, for the header of the code and the report.
   * @default "the manifests"
   */
  readonly sources?: string;
  /**
   * The package name the generated code imports the constructs from.
   * @default "cdk8s-mesh-perimeter"
   */
  readonly packageName?: string;
}

/** One flow the old manifests or the new perimeter allows, and what the import did to it. */
export interface ImportedFlow {
  /** The caller: `namespace/workload`, `namespace/*` (an undeclared pod) or an address outside the cluster. */
  readonly from: string;
  /** The destination: `namespace/workload`, an external host, or an address outside the cluster. */
  readonly to: string;
  /** The destination port (a container port, or the external port). */
  readonly port: number;
  /**
   * The waypoint it passes through, or how it skips one.
   * @default - none
   */
  readonly via?: string;
  readonly outcome: FlowOutcome;
  /** The layers whose say changed (`kernel`, `ztunnel`, `waypoint`, `mtls`, `proxy`, `mesh`); empty when kept. */
  readonly layers: string[];
  /** Why the old manifests allowed or blocked it. */
  readonly before: string;
  /** Why the new perimeter allows or blocks it. */
  readonly after: string;
}

/** Something the constructs cannot say, carried unchanged in the generated code as an `ApiObject`. */
export interface NotExpressible {
  /** `Kind namespace/name` of the object. */
  readonly object: string;
  /** The fields no construct has, e.g. `rules[0].when[1].key=custom.time_of_day`. */
  readonly fields: string[];
  /** Why, and what is carried. */
  readonly reason: string;
}

/** An object read as plumbing: what the constructs derive from the intents instead. */
export interface PlumbingObject {
  /** `Kind namespace/name`. */
  readonly object: string;
  /** What it was read as. */
  readonly readAs: string;
}

/**
 * Adopts an existing perimeter: reads policy manifests (AuthorizationPolicy, PeerAuthentication,
 * RequestAuthentication, ServiceEntry, NetworkPolicy, CiliumNetworkPolicy, with the workloads they name),
 * writes the same perimeter as cdk8s code with this library's constructs, runs that code, and proves the
 * result: every flow the old manifests or the new perimeter allow, at both layers, is kept, fixed, closed or
 * not expressible. How intent is read from hand-written YAML: docs/importing.md.
 */
export class PerimeterImporter {
  /** Imports the objects of a multi-document YAML (or JSON) text; typed lists (`List`, `PodList`, …) are expanded. */
  public static fromYaml(yaml: string, options: PerimeterImporterOptions = {}): PerimeterImporter {
    const docs = parseAllDocuments(yaml);
    const bad = docs.find((d) => d.errors.length > 0);
    if (bad) throw new ManifestError(`unreadable YAML: ${bad.errors[0].message}`);
    return PerimeterImporter._fromManifests(docs.map((d) => d.toJS()).filter((d) => d !== null && d !== undefined), options);
  }

  /**
   * Imports parsed manifest objects (the CLI's loader hands them over).
   * @internal
   */
  public static _fromManifests(manifests: any[], options: PerimeterImporterOptions = {}): PerimeterImporter {
    return new PerimeterImporter(manifests, options);
  }

  /** The generated cdk8s app (TypeScript): a Chart class, `new App()` and `app.synth()`. */
  public readonly code: string;
  /** The objects the generated code synthesizes, as multi-document YAML (what `cdk8s synth` writes). */
  public readonly synthesizedYaml: string;
  /** Every flow allowed before or after, with what the import did to it. */
  public readonly flows: ImportedFlow[];
  /** What the constructs cannot say, carried unchanged. */
  public readonly notExpressible: NotExpressible[];
  /** Objects read as plumbing the constructs derive. */
  public readonly plumbing: PlumbingObject[];
  /** How the reading went where it had to choose (guesses, shared identities, assumed callers). */
  public readonly notes: string[];
  private readonly sources: string;

  private constructor(manifests: any[], options: PerimeterImporterOptions) {
    this.sources = options.sources ?? 'the manifests';
    const packageName = options.packageName ?? 'cdk8s-mesh-perimeter';
    const old = oldObjects(manifests);
    const plan: ImportPlan = readIntent(old, options);
    const only = options.namespaces?.length ? new Set(options.namespaces) : undefined;
    const render = (language: 'typescript' | 'javascript', verifyOnSynth: boolean) =>
      renderCode(plan, { language, sources: this.sources, verifyOnSynth, packageName });
    let verifyOnSynth = true;
    let fresh: Record<string, any>[];
    try {
      fresh = synthesizeCode(render('javascript', true), packageName);
    } catch (e) {
      // objects carried unchanged may allow or deny what no construct declares: the synthesis-time check cannot hold then
      if (!(plan.carried.length > 0 && /(over|under)-permission/.test(String((e as Error).message)))) throw internal(e);
      verifyOnSynth = false;
      try {
        fresh = synthesizeCode(render('javascript', false), packageName);
      } catch (again) {
        throw internal(again);
      }
    }
    this.code = render('typescript', verifyOnSynth);
    this.synthesizedYaml = fresh.map((m) => stringify(m)).join('---\n');
    this.flows = prove(old, fresh, plan, only);
    this.notExpressible = plan.carried.map((c) => ({ object: c.object, fields: c.fields, reason: c.reason }));
    this.plumbing = plan.plumbing.map((p) => ({ object: p.object, readAs: p.as }));
    this.notes = [...plan.notes, ...(verifyOnSynth ? [] : ['the generated MeshPerimeter sets verifyOnSynth: false: carried objects allow or deny what no construct declares'])];
  }

  /** Whether every flow is kept, fixed or closed (what `mesh-perimeter import` exits 0 on). */
  public get ok(): boolean {
    return this.flows.every((f) => [FlowOutcome.KEPT, FlowOutcome.FIXED, FlowOutcome.CLOSED].includes(f.outcome));
  }

  /** The import report in Markdown, for a pull request. */
  public toMarkdown(): string {
    return importMarkdown(this, this.sources);
  }

  /** The import report as JSON text (flows, not expressible, plumbing, notes, and the code). */
  public toJson(): string {
    return JSON.stringify({
      ok: this.ok,
      counts: counts(this.flows),
      flows: this.flows,
      notExpressible: this.notExpressible,
      plumbing: this.plumbing,
      notes: this.notes,
      code: this.code,
    }, undefined, 2);
  }
}

/** How many flows had each outcome. */
export function counts(flows: ImportedFlow[]): Record<string, number> {
  return Object.fromEntries(Object.values(FlowOutcome).map((o) => [o, flows.filter((f) => f.outcome === o).length]));
}


function internal(e: unknown): Error {
  return new Error(`the generated code does not synthesize (${(e as Error)?.message ?? String(e)}): a bug of the importer, please report it with the manifests`);
}
