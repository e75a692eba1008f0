/**
 * istioctl warnings on our output that are not bugs, each with the reason. Anything istioctl says that
 * is not listed here fails the check; an entry that no longer matches anything fails it too.
 */
import { IstioctlMessage } from './istioctl';

export interface AllowedMessage {
  readonly command: IstioctlMessage['command'];
  readonly code: string;
  /** Matches the message text. */
  readonly text: RegExp;
  /** Why it is not a problem. */
  readonly reason: string;
}

export const ISTIOCTL_ALLOWED: AllowedMessage[] = [];

/** The allow-list entry that explains `m`, if any (never for errors). */
export function allowed(m: IstioctlMessage): AllowedMessage | undefined {
  if (m.level === 'Error') return undefined;
  return ISTIOCTL_ALLOWED.find((a) => a.command === m.command && a.code === m.code && a.text.test(m.text));
}
