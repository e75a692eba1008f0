/** Label on every object the perimeter emits, so they can be listed and audited together. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'cdk8s-mesh-perimeter';

export function perimeterLabels(): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY };
}
