// Renderer entry: puts the remembered theme on the page, picks the transport (Electron preload or
// serve-mode socket), then mounts the app.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createApiClient } from './transport';
import { ApiProvider } from './api-context';
import { ThemeProvider, applyRememberedTheme } from './theme';
import './styles/app.css';

applyRememberedTheme();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

createRoot(root).render(
  <StrictMode>
    <ApiProvider client={createApiClient()}>
      <ThemeProvider>
        <App />
      </ThemeProvider>
    </ApiProvider>
  </StrictMode>,
);
