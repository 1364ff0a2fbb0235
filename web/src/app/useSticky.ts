import { useRef } from 'react';

/** The latest value that was not undefined: a view keeps showing its last answer while the next loads. */
export function useSticky<T>(value: T | undefined): T | undefined {
  const last = useRef(value);
  if (value !== undefined) last.current = value;
  return last.current;
}
