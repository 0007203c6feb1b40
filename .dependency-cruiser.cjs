/**
 * The shape of the code, checked in `npm run test:all` (issue "one redesign step"): no import
 * circles; the API never reaches into analysis code (the stages and models); scorecards never
 * touch the database; analysis never touches the database, the pipeline or the API; the thread
 * entry in workers/ only hands its task to analysis; the shared vocabulary (text/: the phrase matcher
 * and a call's text) sits below scorecards and topics; db/ imports nothing above it. Type imports count
 * too (issue "house step two"): a circle of types is still two modules that cannot be read apart.
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
      name: 'text-below',
      severity: 'error',
      comment:
        "text/ is the vocabulary scorecards, topics and analysis share (the phrase matcher, a call's text): it imports none of them.",
      from: { path: '^text/' },
      to: { path: '^(db|api|pipeline|review|workers|analysis|scorecards|topics|cli)/' },
    },
    {
      name: 'db-below',
      severity: 'error',
      comment: 'db/ is below the domain: the API, CLI, pipeline and review use it, never the reverse.',
      from: { path: '^db/' },
      to: { path: '^(api|cli|pipeline|review|workers|live|followups)/' },
    },
    {
      name: 'followups-below-api',
      severity: 'error',
      comment:
        'followups/ (rules, cases, the scheduler) is used by the API, the CLI and the save path, never the reverse; it knows nothing of live protocols or HTTP.',
      from: { path: '^followups/' },
      to: { path: '^(api|cli|live|web)/' },
    },
    {
      name: 'live-below-api',
      severity: 'error',
      comment:
        'live/ (the protocol adapters, the live call, the hub) is used by the API and the CLI, never the reverse; the analysis knows nothing of it.',
      from: { path: '^live/' },
      to: { path: '^(api|cli)/' },
    },
    {
      name: 'analysis-not-live',
      severity: 'error',
      comment: 'What runs in worker threads does not depend on live calls.',
      from: { path: '^(analysis|workers|models|text|topics|scorecards)/' },
      to: { path: '^live/' },
    },
    {
      name: 'web-standalone',
      severity: 'error',
      comment:
        'The page is static files served by callqa; it imports nothing from the server, only its own files and the front-end libraries callqa serves under /vendor (api/web.ts).',
      from: { path: '^web/' },
      to: { path: '^(?!web/|/vendor/)' },
    },
    {
      name: 'web-lib-below-views',
      severity: 'error',
      comment: 'web/lib/ (elements, the API client, the session, time) is below the views and the router.',
      from: { path: '^web/lib/' },
      to: { path: '^web/(views/|router|app)' },
    },
    {
      name: 'web-views-not-router',
      severity: 'error',
      comment: 'A view moves to another through the address (lib/nav.js), never by importing the router.',
      from: { path: '^web/views/' },
      to: { path: '^web/(router|app)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|test|bench|scripts|samples)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
}
