import { Construct, IConstruct } from 'constructs';
import { Enforcement } from '../enforcement';
import { conflict } from './errors';
import { ANNOTATION_DRY_RUN } from './istio';
import { perimeterLabels } from './metadata';
import { MeshSettings } from './settings';
import { AuthorizationPolicy, AuthorizationPolicySpecTargetRefs } from '../imports/security.istio.io';
import { IstioVersion } from '../istio-version';

/** Where an AuthorizationPolicy is enforced. */
export enum EnforcementPoint {
  /** The destination ztunnel: policies with a `selector` or none, L4 fields only. */
  ZTUNNEL = 'ztunnel',
  /** A waypoint: policies with `targetRefs`. */
  WAYPOINT = 'waypoint',
}

/**
 * The annotations an AuthorizationPolicy needs for the perimeter's enforcement mode at `point`.
 * Under AUDIT, a ztunnel policy can be dry-run only from Istio 1.29 with istiod's flag; anywhere else
 * ztunnel would enforce it (<= 1.25.1) or drop it silently (1.25.2-1.28), so this throws instead.
 * See docs/semantics.md#dry-run.
 */
export function enforcementAnnotations(scope: IConstruct, settings: MeshSettings, point: EnforcementPoint): Record<string, string> {
  if (settings.enforcement !== Enforcement.AUDIT) return {};
  if (point === EnforcementPoint.ZTUNNEL) checkZtunnelDryRun(scope, settings);
  return { [ANNOTATION_DRY_RUN]: 'true' };
}

/** Throws unless ztunnel honours dry-run policies under these settings. */
export function checkZtunnelDryRun(scope: IConstruct, settings: MeshSettings): void {
  const v = settings.istioVersion;
  if (!v.atLeast(IstioVersion.V1_29)) {
    const what = v.atLeast(IstioVersion.of('1.25.2'))
      ? 'drops dry-run policies (neither enforced nor logged), so the policy would silently not exist'
      : 'does not understand the dry-run annotation and enforces the policy';
    throw conflict(scope, `Enforcement.AUDIT needs a ztunnel-side dry-run, but ztunnel in Istio ${v} ${what}`,
      'target Istio >= 1.29 with ambientDryRun: true (istiod AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY=true), or use Enforcement.ENFORCE');
  }
  if (!settings.ambientDryRun) {
    throw conflict(scope, `Enforcement.AUDIT on Istio ${v} needs istiod's AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY=true for ztunnel policies; without it istiod rejects them (UnsupportedValue) and ztunnel never sees them`,
      'enable the flag in istiod and set ambientDryRun: true on the MeshPerimeter, or use Enforcement.ENFORCE');
  }
}

export interface AllowNothingOptions {
  readonly name: string;
  readonly namespace: string;
  /** Attach to these targets (a waypoint-side deny); none for a ztunnel-side deny of the whole namespace. */
  readonly targetRefs?: AuthorizationPolicySpecTargetRefs[];
  readonly labels?: Record<string, string>;
}

/**
 * An ALLOW policy without rules: it never matches, so every request to what it covers is denied unless
 * another ALLOW policy matches. `spec: {}` covers a namespace (or the whole mesh in the root namespace)
 * at ztunnel; with `targetRefs` it covers a waypoint or a waypoint class. See docs/semantics.md#default-deny.
 */
export function allowNothing(scope: Construct, id: string, settings: MeshSettings, options: AllowNothingOptions): AuthorizationPolicy {
  const point = options.targetRefs ? EnforcementPoint.WAYPOINT : EnforcementPoint.ZTUNNEL;
  const annotations = enforcementAnnotations(scope, settings, point);
  return new AuthorizationPolicy(scope, id, {
    metadata: {
      name: options.name,
      namespace: options.namespace,
      labels: { ...options.labels, ...perimeterLabels() },
      annotations: Object.keys(annotations).length > 0 ? annotations : undefined,
    },
    spec: options.targetRefs ? { targetRefs: options.targetRefs } : {},
  });
}
