import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ReportApp } from './ReportApp.js';
import '../app/theme.css';
import '../field/field.css';
import './report.css';

const root = document.getElementById('root');
if (!root) throw new Error('report.html has no #root element');
document.documentElement.classList.add('field-root');
createRoot(root).render(
  <StrictMode>
    <ReportApp />
  </StrictMode>,
);
