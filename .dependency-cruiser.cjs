/**
 * The shape of the code, checked in `npm run test:all` (issue "one redesign step"): no import
 * circles; the API never reaches into analysis code (the stages and models); scorecards never
 * touch the database; analysis never touches the database, the pipeline or the API; the thread
 * entry in workers/ only hands its task to analysis. Type-only imports are not dependencies at run time and
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
      to: { path: '^(analysis|workers|models)/' },
    },
    {
      name: 'analysis-not-db-or-api',
      severity: 'error',
      comment: 'Analysis computes on audio and text in worker threads; the main thread stores and serves.',
      from: { path: '^analysis/' },
      to: { path: '^(db|api|pipeline|review|workers)/' },
    },
    {
      name: 'workers-only-entry',
      severity: 'error',
      comment: 'workers/ is the thread entry only: it hands the task to analysis/ and nothing else.',
      from: { path: '^workers/' },
      to: { path: '^(db|api|pipeline|review|scorecards|media)/' },
    },
    {
      name: 'scorecards-not-db',
      severity: 'error',
      comment: 'Scorecards are definitions and a pure evaluator; storing them is db/ and pipeline/.',
      from: { path: '^scorecards/' },
      to: { path: '^(db|api|pipeline)/' },
    },
    {
      name: 'topics-pure',
      severity: 'error',
      comment:
        "Topics (taxonomy, urgency, conduct, summaries, emerging issues) are pure functions of a call's text like the scorecard evaluator; storing them is db/ and pipeline/.",
      from: { path: '^topics/' },
      to: { path: '^(db|api|pipeline|review|workers|analysis)/' },
    },
    {
      name: 'web-standalone',
      severity: 'error',
      comment:
        'The page is static files served by callqa; it imports nothing from the server, only its own files and the front-end libraries callqa serves under /vendor (api/web.ts).',
      from: { path: '^web/' },
      to: { path: '^(?!web/|/vendor/)' },
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
