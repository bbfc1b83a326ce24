// ESLint 9 flat config (`npm run lint`, run by .ci/run): ESLint's and typescript-eslint's
// recommended rules over src, test, bench, grafana, deploy, docs/*.ts and examples.
//
// Not the type-checked set (recommendedTypeChecked): on this 2-core machine it took 1 min 46 s
// (33 s of CPU) against about 20 s for this one, and most of its findings are no-unsafe-* on
// test code reading JSON bodies, where `any` is the honest type. TypeScript's strict mode
// (npm run typecheck) covers types.
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/**', '**/node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: globals.node },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A leading underscore marks what is unused on purpose: an Express error handler's
      // fourth argument, a loop that only counts (`for await (const _key of ...)`).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      // `interface A extends B {}` gives B a name of its own in the domain (the dashboard
      // generator's panel options): allowed when it extends exactly one type.
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }]
    }
  },
  {
    // TypeScript itself reports undefined names, with the right globals for each tsconfig
    // (typescript-eslint's advice: no-undef gives false alarms on types).
    files: ['**/*.ts'],
    rules: { 'no-undef': 'off' }
  },
  {
    // The peer view's script runs in the browser (served as is; tsconfig.browser.json types it).
    files: ['src/http/peer-view/assets/**/*.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser }
  }
)
