import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Provider } from 'urql';
import { client } from './api/client';
import { signIn } from './app/auth';
import { App, SignedOut } from './app/App';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
const result = await signIn();
root.render(
  <StrictMode>
    {result.kind === 'signed-in'
      ? <Provider value={client}><App viewer={result.viewer} /></Provider>
      : <SignedOut reason={result.reason} />}
  </StrictMode>,
);
