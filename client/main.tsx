import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.js';
import { WallApp } from './wall/WallApp.js';
import './app/theme.css';
// Panels before layout: the layout's media queries override panel placement on phones.
import './app/panels.css';
import './features/alerts/alerts.css';
import './features/alerts/banners.css';
import './features/rules/rules.css';
import './features/admin/admin.css';
import './app/login.css';
import './app/layout.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    {window.location.pathname === '/wall' ? <WallApp /> : <App />}
  </StrictMode>,
);
