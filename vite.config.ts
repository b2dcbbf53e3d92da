import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const apiTarget = process.env.IOC_DEV_API ?? 'http://localhost:8080';

// Builds client/ into dist/client; `npm run dev:client` proxies the API and socket.io to a running server.
// Three pages and a service worker: the console (index.html), the field app (field.html, served at /field)
// and the public citizen report page (report.html, served at /report), each with only the code it uses,
// so a phone opening /field or /report never downloads the console's map bundle.
export default defineConfig({
  root: 'client',
  plugins: [react()],
  build: {
    outDir: '../dist/client',
    emptyOutDir: true,
    chunkSizeWarningLimit: 4000,
    rollupOptions: {
      input: {
        console: 'client/index.html',
        field: 'client/field.html',
        report: 'client/report.html',
        'field-sw': 'client/field/sw.ts',
      },
      output: {
        // The service worker keeps one URL across builds (a new hash would be a new worker, never an update).
        entryFileNames: (chunk) => (chunk.name === 'field-sw' ? 'field-sw.js' : 'assets/[name]-[hash].js'),
      },
    },
  },
  server: {
    proxy: {
      '/api': apiTarget,
      '/healthz': apiTarget,
      '/readyz': apiTarget,
      // A local PMTiles basemap served by the product (map.pmtilesFile).
      '/basemap': apiTarget,
      '/socket.io': { target: apiTarget, ws: true },
    },
  },
});
