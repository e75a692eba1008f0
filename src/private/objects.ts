import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { invalidValue } from './errors';

/**
 * The `ApiObject` a construct synthesizes, checked to be of `kind`. Works for the classes of every
 * cdk8s-plus major (each is a construct whose default child is its `ApiObject`) and for `ApiObject`s
 * themselves; cdk8s recognizes them across copies of the library (`ApiObject.isApiObject`).
 */
export function apiObjectOf(scope: IConstruct, construct: IConstruct, kind: string, what: string): ApiObject {
  let obj: ApiObject | undefined;
  try {
    obj = ApiObject.of(construct);
  } catch {
    obj = undefined;
  }
  if (!obj || obj.kind !== kind) {
    const path = construct?.node?.path;
    throw invalidValue(scope, what, path ?? String(construct), `a ${kind} (from any cdk8s-plus major, or an ApiObject of kind ${kind})${obj ? `, not a ${obj.kind}` : ''}`,
      `pass the cdk8s-plus ${kind} itself (e.g. new kplus.${kind}(...))`);
  }
  return obj;
}

/** Makes every object under `construct` come after `object` in the synthesized output. */
export function orderAfter(construct: IConstruct, object: ApiObject): void {
  for (const child of construct.node.findAll()) {
    if (child instanceof ApiObject) child.addDependency(object);
  }
}
