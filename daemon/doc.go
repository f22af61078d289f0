// Package daemon is one running beianwatch replica: what `beianwatch
// serve` runs. main builds an Options (flags, environment, config file),
// and New, Run and Close do the rest, so that tests start the real daemon
// through this package with a temp registry and a listener on
// 127.0.0.1:0.
//
// New opens the registry (migrating it unless told not to), the crawler's
// collector and scheduler, the alerts router and dispatcher and the case
// work, and binds the listener. Run then runs these loops until its
// context ends (or, with Options.Once, until the sites due at the start
// are checked):
//
//   - the schedule (crawler.Scheduler): leases due sites from the
//     registry in batches through storeQueue, fetches and checks them, and
//     hands the outcomes back;
//   - the store writer (batchQueue): stores a batch of outcomes in one
//     transaction with each site's new state and the alert changes they
//     cause (alertChanges), then passes them to the case work;
//   - the case work (caseWork): after each stored batch it opens and
//     fixes rectifications and opens suspected takedowns from the lexicon;
//     every few seconds it re-fetches takedown URLs, turns cases overdue
//     and calls the escalation webhook once; at start it counts
//     provisional deadlines again on the current holiday calendar;
//   - the registry-wide gauges (registryGauges), read from the shared
//     registry every StatsInterval, so that every replica reports the same
//     values;
//   - the outbox (alerts.Dispatcher), which delivers alerts to their
//     receivers and never loses one;
//   - history pruning (pruning): every hour one replica deletes the
//     history older than Options.Retain that nothing needs;
//   - the HTTP server: /metrics, /healthz and /readyz.
//
// Each loop's registry needs are a small interface beside it (caseStore,
// statsSource, caseCounter, historyPruner); *registry.Store satisfies them all, and
// tests use fakes where a rule is what is under test.
package daemon
