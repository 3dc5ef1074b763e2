// Build and dev-server settings for the web front end.
// The output in dist/ is embedded by the desktop shell and by the headless server,
// so every asset path is relative (base './').
import { defineConfig } from 'vite';

// Where `npm run dev` sends /api calls: a running `duows serve` or the mock server.
const apiTarget = process.env.DUOWS_DEV_API ?? 'http://127.0.0.1:4590';

export default defineConfig({
  base: './',
  clearScreen: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
  },
  server: {
    port: 5173, // the desktop shell's devUrl (src-tauri/tauri.conf.json)
    strictPort: true,
    proxy: {
      '/api': { target: apiTarget, changeOrigin: false },
    },
  },
});
