import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const apiTarget = process.env.IOC_DEV_API ?? 'http://localhost:8080';

// Builds client/ into dist/client; `npm run dev:client` proxies the API and socket.io to a running server.
export default defineConfig({
  root: 'client',
  plugins: [react()],
  build: {
    outDir: '../dist/client',
    emptyOutDir: true,
    chunkSizeWarningLimit: 4000,
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
