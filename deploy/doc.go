// Package deploy holds no code: it is the home of the deployment files
// (Dockerfile, compose bundle, Kubernetes manifests, systemd unit,
// Prometheus rules and the Grafana dashboard) and of the tests that keep
// them true to the program: every manifest decodes strictly into its
// Kubernetes type, every setting they pass is one `beianwatch serve`
// accepts, every rule and panel parses, and every metric they use is one a
// real `beianwatch serve` exposes to a real Prometheus.
//
// It is a module of its own so that the Prometheus and Kubernetes libraries
// the tests parse with stay out of the product's go.mod.
package deploy
