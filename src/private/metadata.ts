/** Label on every object the perimeter emits, so they can be listed and audited together. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'cdk8s-mesh-perimeter';

export function perimeterLabels(): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY };
}

/** Whether pods labelled `labels` are selected by `matchLabels` (every entry present and equal). */
export function selects(matchLabels: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return Object.entries(matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}
