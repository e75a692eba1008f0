import { AttributeCondition, HttpConditions } from './types';

/**
 * The HTTP conditions of a flow as text: `GET,POST /api/* [x-request-id: *]`, alternatives joined by
 * ` or `; `any request` when unconditional.
 */
export function requestText(http: HttpConditions[] | undefined): string {
  if (!http || http.length === 0) return 'any request';
  const attr = (prefix: string) => (a: AttributeCondition) => `[${prefix}${a.key}${a.values ? `: ${a.values.join(', ')}` : ''}${a.notValues ? ` not ${a.notValues.join(', ')}` : ''}]`;
  return http.map((c) => [
    `${c.methods?.join(',') ?? 'any method'}${c.notMethods ? ` (not ${c.notMethods.join(',')})` : ''}`,
    `${c.paths?.join(',') ?? 'any path'}${c.notPaths ? ` (not ${c.notPaths.join(',')})` : ''}`,
    ...(c.headers ?? []).map(attr('')),
    ...(c.claims ?? []).map(attr('claim ')),
    ...(c.requestPrincipals ? [`[JWT ${c.requestPrincipals.join(', ')}]`] : []),
    ...(c.notRequestPrincipals ? [`[JWT not ${c.notRequestPrincipals.join(', ')}]`] : []),
    ...(c.when ?? []).map(attr('')),
  ].join(' ')).join(' or ');
}
