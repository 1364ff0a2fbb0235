import { createContext, useContext } from 'react';
import type { Viewer } from './auth';

export const ViewerContext = createContext<Viewer | null>(null);

export function useViewer(): Viewer {
  const viewer = useContext(ViewerContext);
  if (!viewer) throw new Error('useViewer outside the signed-in app');
  return viewer;
}
