// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules', 'dist', 'data', 'test-artifacts', 'bench/.work', 'coverage'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Dependency direction (docs/STYLE.md): the client sees only contract/; ingest and server never import the client.
    files: ['client/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^\\.\\./(\\.\\./)*(server|ingest|config|bench|test)/', message: 'client/ imports only contract/' }] },
      ],
    },
  },
  {
    // Inside the client (docs/ARCHITECTURE.md, "Client layout"): features never reach into the app shell; shared
    // hooks and helpers live in client/ui/. A later block for the same files replaces the rule, so both fences are here.
    files: ['client/features/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^\\.\\./(\\.\\./)*(server|ingest|config|bench|test)/', message: 'client/ imports only contract/' },
            { regex: '^(\\.\\./){2,}app/', message: 'client/features/ does not import client/app/: move shared code to client/ui/' },
          ],
        },
      ],
    },
  },
  {
    files: ['contract/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^\\.\\./(server|ingest|config|client)', message: 'contract/ imports only the schema library' }] },
      ],
    },
  },
  {
    // The demo city is a device fleet, not part of the product: it speaks only the wire contract.
    files: ['simulator/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^\\.\\./(server|ingest|config|client|bench|test)/', message: 'simulator/ imports only contract/' }] },
      ],
    },
  },
  {
    files: ['server/**/*.ts', 'ingest/**/*.ts', 'config/**/*.ts'],
    ignores: ['server/simulator-feed.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '/client/', message: 'never import client code' },
            // Only the composition root (server/simulator-feed.ts), bench/ and tests may start the demo city.
            { regex: '/simulator/', message: 'only server/simulator-feed.ts may import the simulator' },
          ],
        },
      ],
    },
  },
  {
    files: ['server/simulator-feed.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '/client/', message: 'never import client code' }] }],
    },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
