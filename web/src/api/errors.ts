// What a failed operation means to the person looking at the screen, by the API's stable
// extensions.code (DESIGN §4, CONTRACTS.md).
import type { CombinedError } from 'urql';

export type ErrorCode =
  | 'INVALID_INPUT' | 'NOT_FOUND' | 'NOTE_REQUIRED' | 'INVALID_TRANSITION' | 'VERSION_CONFLICT'
  | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'STORAGE_UNAVAILABLE' | 'RATE_LIMITED' | 'INTERNAL' | 'NETWORK';

const messages: Record<ErrorCode, string> = {
  INVALID_INPUT: 'Flowstate did not accept that input.',
  NOT_FOUND: 'This no longer exists.',
  NOTE_REQUIRED: 'A note is required for this action.',
  INVALID_TRANSITION: 'That action is not offered for the row’s current status any more.',
  VERSION_CONFLICT: 'Someone else changed this row. It has been reloaded: check it and try again.',
  UNAUTHENTICATED: 'Your sign-in has ended. Open a new sign-in link.',
  FORBIDDEN: 'Your role does not allow this.',
  STORAGE_UNAVAILABLE: 'Flowstate’s storage is unavailable right now; nothing was changed. Try again in a moment.',
  RATE_LIMITED: 'Too many requests; wait a moment and try again.',
  INTERNAL: 'Flowstate could not do this (internal error); nothing was changed.',
  NETWORK: 'Flowstate could not be reached; the change was not confirmed. Try again when the connection is back.',
};

export type Problem = { code: ErrorCode; message: string; detail?: string };

/** The first error of an operation as a code and a sentence (the server's own message as detail). */
export function problemOf(error: CombinedError): Problem {
  if (error.networkError || (!error.graphQLErrors.length && error.response?.status >= 500)) {
    return { code: 'NETWORK', message: messages.NETWORK };
  }
  const first = error.graphQLErrors[0];
  const raw = (first?.extensions?.code as string | undefined) ?? 'INTERNAL';
  const code = (raw in messages ? raw : 'INTERNAL') as ErrorCode;
  const detail = first?.message;
  return { code, message: code === 'INVALID_INPUT' && detail ? detail : messages[code], detail };
}

export const isForbidden = (error: CombinedError | undefined) =>
  !!error?.graphQLErrors.some(e => e.extensions?.code === 'FORBIDDEN');
