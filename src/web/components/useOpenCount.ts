import { useState } from 'react';

/** Increments each time `opened` turns true — use as a React key to reset dialog content per opening. */
export function useOpenCount(opened: boolean): number {
  const [state, setState] = useState({ count: 0, wasOpen: opened });
  if (opened !== state.wasOpen) {
    const next = { count: opened ? state.count + 1 : state.count, wasOpen: opened };
    setState(next);
    return next.count;
  }
  return state.count;
}
