import { defineConfig } from 'vite';

// Static files for the silo to serve at / (silo/Flowstate.Silo.csproj copies dist/ into the build
// output's wwwroot). Hashed file names under /assets/ are cached for a year; index.html never.
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 400,
    rollupOptions: {
      // Libraries marked "use client" for React Server Components: meaningless in a browser bundle.
      onwarn(warning, warn) { if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning); },
    },
  },
  server: {
    // `npm run dev` against a silo from `./flowstate up` (FLOWSTATE_API, default http://127.0.0.1:5080).
    proxy: {
      '/graphql': { target: process.env.FLOWSTATE_API ?? 'http://127.0.0.1:5080', ws: true },
      '/auth': { target: process.env.FLOWSTATE_API ?? 'http://127.0.0.1:5080' },
    },
  },
});
