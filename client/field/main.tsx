import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { FieldApp } from './FieldApp.js';
import { registerWorker } from './push.js';
import '../app/theme.css';
import '../app/login.css';
import './field.css';

const root = document.getElementById('root');
if (!root) throw new Error('field.html has no #root element');
document.documentElement.classList.add('field-root');
createRoot(root).render(
  <StrictMode>
    <FieldApp />
  </StrictMode>,
);
// After the first render: the worker's install fetches the shell again, which should not compete with it.
window.addEventListener('load', () => void registerWorker());
