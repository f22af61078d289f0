package probe

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/beianwatch/beianwatch/checker"
)

// verdicts are the verdicts beianwatch_probe_verdict has a series for,
// one of them 1: a query need not know which exist.
var verdicts = []checker.Verdict{checker.VerdictPass, checker.VerdictFail, checker.VerdictError}

// register adds one probe's metrics to reg, a registry of the request's
// own.
func register(reg *prometheus.Registry, res Result, took time.Duration) {
	r := res.Report
	success := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "beianwatch_probe_success",
		Help: "1 when the target's verdict is pass, else 0.",
	})
	verdict := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "beianwatch_probe_verdict",
		Help: "The target's verdict: 1 for the current one, 0 for the others.",
	}, []string{"verdict"})
	findings := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "beianwatch_probe_findings",
		Help: "Findings of the check, by finding code and severity.",
	}, []string{"code", "severity"})
	duration := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "beianwatch_probe_duration_seconds",
		Help: "How long the check took, fetch and judgement, in seconds.",
	})
	status := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "beianwatch_probe_http_status_code",
		Help: "The HTTP status of the page judged (after redirects); 0 when there was no answer.",
	})
	reg.MustRegister(success, verdict, findings, duration, status)

	if r.Verdict == checker.VerdictPass {
		success.Set(1)
	}
	for _, v := range verdicts {
		verdict.WithLabelValues(string(v)).Set(b2f(r.Verdict == v))
	}
	for _, f := range r.Findings {
		findings.WithLabelValues(f.Code, string(f.Severity)).Inc()
	}
	duration.Set(took.Seconds())
	status.Set(float64(r.HTTPStatus))
	if !res.CertNotAfter.IsZero() {
		// Only over TLS, as blackbox_exporter's probe_ssl_earliest_cert_expiry.
		expiry := prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "beianwatch_probe_tls_cert_expiry_timestamp_seconds",
			Help: "When the TLS leaf certificate of the page judged expires (Unix time); absent over http://.",
		})
		reg.MustRegister(expiry)
		expiry.Set(float64(res.CertNotAfter.Unix()))
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
