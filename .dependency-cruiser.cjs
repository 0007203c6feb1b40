/**
 * The shape of the code, checked in `npm run test:all` (issue "one redesign step"): no import
 * circles; the API never reaches into analysis code (the worker stages and models); scorecards and
 * the pure human-QA rules never touch the database driver layer's connection code; worker threads
 * never touch the database or the API. Type-only imports are not dependencies at run time and
 * are left out.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle makes load order matter and hides which module owns what.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'api-not-analysis',
      severity: 'error',
      comment: 'The API serves what analysis stored; it never runs analysis stages or models.',
      from: { path: '^api/' },
      to: { path: '^(workers|models)/' },
    },
    {
      name: 'workers-not-db-or-api',
      severity: 'error',
      comment: 'Worker threads compute; the main thread stores and serves.',
      from: { path: '^workers/' },
      to: { path: '^(db|api|pipeline)/' },
    },
    {
      name: 'scorecards-not-db',
      severity: 'error',
      comment: 'Scorecards are definitions and a pure evaluator; storing them is db/ and pipeline/.',
      from: { path: '^scorecards/' },
      to: { path: '^(db|api|pipeline)/' },
    },
    {
      name: 'web-standalone',
      severity: 'error',
      comment: 'The page is static files served by callqa; it imports nothing from the server.',
      from: { path: '^web/' },
      to: { path: '^(?!web/)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|test|bench|scripts|samples)/' },
    tsPreCompilationDeps: false,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
}
