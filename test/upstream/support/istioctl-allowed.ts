/**
 * istioctl warnings on our output that are not bugs, each with the reason. Anything istioctl says that
 * is not listed here fails the check; an entry that no longer matches anything fails it too.
 */
import { IstioctlMessage } from './istioctl';

export interface AllowedMessage {
  readonly command: IstioctlMessage['command'];
  readonly code: string;
  /** Said by `istioctl analyze` against the live API server only (not offline). */
  readonly live?: boolean;
  /** Matches the message text. */
  readonly text: RegExp;
  /** Why it is not a problem. */
  readonly reason: string;
}

export const ISTIOCTL_ALLOWED: AllowedMessage[] = [
  {
    command: 'analyze',
    code: 'IST0102',
    live: true,
    text: /\(Namespace default\)$/,
    reason: 'Info about the API server\'s own `default` namespace, which every cluster has and no perimeter manages: '
      + 'nothing runs there, so neither injection nor ambient enrolment is wanted',
  },
];

/** The allow-list entry that explains `m`, if any (never for errors). */
export function allowed(m: IstioctlMessage): AllowedMessage | undefined {
  if (m.level === 'Error') return undefined;
  return ISTIOCTL_ALLOWED.find((a) => a.command === m.command && a.code === m.code && a.text.test(m.text));
}
