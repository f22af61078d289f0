package deploy

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite generated files (kubernetes/prometheusrule.yaml)")

const k8sDir = "kubernetes"

// manifests are the decoded objects of kubernetes/, by kind.
type manifests struct {
	namespaces      []*corev1.Namespace
	secrets         []*corev1.Secret
	configMaps      []*corev1.ConfigMap
	deployments     []*appsv1.Deployment
	services        []*corev1.Service
	pdbs            []*policyv1.PodDisruptionBudget
	serviceMonitors []*monitoringv1.ServiceMonitor
	prometheusRules []*monitoringv1.PrometheusRule
	cronJobs        []*batchv1.CronJob
	files           []string // every manifest file but kustomization.yaml
}

// kustomization is kustomization.yaml, the fields used here.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace"`
	Resources  []string `json:"resources"`
	Images     []struct {
		Name    string `json:"name"`
		NewName string `json:"newName"`
		NewTag  string `json:"newTag"`
	} `json:"images"`
}

// loadManifests decodes every document of every kubernetes/*.yaml strictly
// into its API type: an unknown or misplaced field is an error here, as it
// is for kubectl apply --validate=strict.
func loadManifests(t *testing.T) *manifests {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s (%v)", k8sDir, err)
	}
	m := &manifests{}
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		m.files = append(m.files, filepath.Base(f))
		for i, doc := range readYAMLDocs(t, f) {
			if err := m.add(doc); err != nil {
				t.Errorf("%s document %d: %v", f, i+1, err)
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return m
}

// decodeInto decodes doc strictly into a new T and appends it.
func decodeInto[T any](doc []byte, list *[]*T) error {
	obj := new(T)
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return err
	}
	*list = append(*list, obj)
	return nil
}

func (m *manifests) add(doc []byte) error {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return err
	}
	var om struct {
		Metadata metav1.ObjectMeta `json:"metadata"`
	}
	if err := yaml.Unmarshal(doc, &om); err != nil {
		return err
	}
	if om.Metadata.Name == "" {
		return fmt.Errorf("%s has no metadata.name", tm.Kind)
	}
	if om.Metadata.Labels["app.kubernetes.io/name"] != "beianwatch" {
		return fmt.Errorf("%s %s: no label app.kubernetes.io/name=beianwatch", tm.Kind, om.Metadata.Name)
	}
	switch tm.APIVersion + " " + tm.Kind {
	case "v1 Namespace":
		return decodeInto(doc, &m.namespaces)
	case "v1 Secret":
		return decodeInto(doc, &m.secrets)
	case "v1 ConfigMap":
		return decodeInto(doc, &m.configMaps)
	case "apps/v1 Deployment":
		return decodeInto(doc, &m.deployments)
	case "v1 Service":
		return decodeInto(doc, &m.services)
	case "policy/v1 PodDisruptionBudget":
		return decodeInto(doc, &m.pdbs)
	case "monitoring.coreos.com/v1 ServiceMonitor":
		return decodeInto(doc, &m.serviceMonitors)
	case "monitoring.coreos.com/v1 PrometheusRule":
		return decodeInto(doc, &m.prometheusRules)
	case "batch/v1 CronJob":
		return decodeInto(doc, &m.cronJobs)
	}
	return fmt.Errorf("apiVersion %q kind %q: not a kind these tests know", tm.APIVersion, tm.Kind)
}

// one returns the only element of a list, failing the test otherwise.
func one[T any](t *testing.T, what string, list []*T) *T {
	t.Helper()
	if len(list) != 1 {
		t.Fatalf("%d %s manifests, want 1", len(list), what)
	}
	return list[0]
}

func selects(t *testing.T, sel *metav1.LabelSelector, set map[string]string) bool {
	t.Helper()
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		t.Fatal(err)
	}
	return !s.Empty() && s.Matches(labels.Set(set))
}

// TestKubernetesWiring checks that the objects find each other: selectors
// match the pods, ports match by name, and the Secret and ConfigMap the pods
// use exist with the keys they read.
func TestKubernetesWiring(t *testing.T) {
	m := loadManifests(t)
	dep := one(t, "Deployment", m.deployments)
	svc := one(t, "Service", m.services)
	pdb := one(t, "PodDisruptionBudget", m.pdbs)
	sm := one(t, "ServiceMonitor", m.serviceMonitors)
	pod := dep.Spec.Template

	if dep.Spec.Replicas == nil || *dep.Spec.Replicas < 2 {
		t.Errorf("Deployment replicas %v, want at least 2", dep.Spec.Replicas)
	}
	if !selects(t, dep.Spec.Selector, pod.Labels) {
		t.Errorf("Deployment selector %v does not match its pod labels %v", dep.Spec.Selector, pod.Labels)
	}
	if s := labels.SelectorFromSet(svc.Spec.Selector); s.Empty() || !s.Matches(labels.Set(pod.Labels)) {
		t.Errorf("Service selector %v does not match the pods %v", svc.Spec.Selector, pod.Labels)
	}
	if !selects(t, pdb.Spec.Selector, pod.Labels) {
		t.Errorf("PodDisruptionBudget selector %v does not match the pods %v", pdb.Spec.Selector, pod.Labels)
	}
	if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() >= int(*dep.Spec.Replicas) {
		t.Errorf("PodDisruptionBudget minAvailable %v: want fewer than the %d replicas, or no node can drain", pdb.Spec.MinAvailable, *dep.Spec.Replicas)
	}
	if !selects(t, &sm.Spec.Selector, svc.Labels) {
		t.Errorf("ServiceMonitor selector %v does not match the Service's labels %v", sm.Spec.Selector, svc.Labels)
	}
	// The rules select job="beianwatch", which the operator takes from the
	// Service's name unless jobLabel says otherwise.
	if svc.Name != "beianwatch" || sm.Spec.JobLabel != "" {
		t.Errorf("Service %q, ServiceMonitor jobLabel %q: the job label must come out as beianwatch", svc.Name, sm.Spec.JobLabel)
	}

	c := one(t, "container", ptrs(pod.Spec.Containers))
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	for _, sp := range svc.Spec.Ports {
		if _, ok := ports[sp.TargetPort.String()]; !ok {
			t.Errorf("Service port %s targets %q, not a container port name (%v)", sp.Name, sp.TargetPort.String(), ports)
		}
	}
	for _, ep := range sm.Spec.Endpoints {
		if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == ep.Port }) {
			t.Errorf("ServiceMonitor endpoint port %q is not a Service port name", ep.Port)
		}
		if ep.Path != "/metrics" {
			t.Errorf("ServiceMonitor endpoint path %q, want /metrics", ep.Path)
		}
	}
	for name, probe := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		want := map[string]string{"liveness": "/healthz", "readiness": "/readyz"}[name]
		if probe == nil || probe.HTTPGet == nil {
			t.Errorf("%s probe: none, want GET %s", name, want)
			continue
		}
		if probe.HTTPGet.Path != want || ports[probe.HTTPGet.Port.String()] == 0 {
			t.Errorf("%s probe: GET %s on port %q, want %s on a container port", name, probe.HTTPGet.Path, probe.HTTPGet.Port.String(), want)
		}
	}
	checkEnvSources(t, m, c)
	checkConfigMounts(t, m, &pod.Spec, c)
}

func ptrs[T any](list []T) []*T {
	out := make([]*T, len(list))
	for i := range list {
		out[i] = &list[i]
	}
	return out
}

// checkEnvSources checks that every secret or ConfigMap key the container
// reads exists.
func checkEnvSources(t *testing.T, m *manifests, c *corev1.Container) {
	t.Helper()
	for _, e := range c.Env {
		if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			continue
		}
		ref := e.ValueFrom.SecretKeyRef
		if _, ok := secretData(m, ref.Name)[ref.Key]; !ok {
			t.Errorf("env %s: Secret %s has no key %s", e.Name, ref.Name, ref.Key)
		}
	}
}

func secretData(m *manifests, name string) map[string]string {
	for _, s := range m.secrets {
		if s.Name == name {
			out := map[string]string{}
			for k, v := range s.Data {
				out[k] = string(v)
			}
			for k, v := range s.StringData {
				out[k] = v
			}
			return out
		}
	}
	return nil
}

// checkConfigMounts checks that every volume the container mounts is
// defined and every ConfigMap it names exists.
func checkConfigMounts(t *testing.T, m *manifests, spec *corev1.PodSpec, c *corev1.Container) {
	t.Helper()
	for _, vm := range c.VolumeMounts {
		i := slices.IndexFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == vm.Name })
		if i < 0 {
			t.Errorf("volume mount %s: no such volume", vm.Name)
			continue
		}
		if cm := spec.Volumes[i].ConfigMap; cm != nil && configMapData(m, cm.Name) == nil {
			t.Errorf("volume %s: no ConfigMap %s", vm.Name, cm.Name)
		}
	}
}

func configMapData(m *manifests, name string) map[string]string {
	for _, c := range m.configMaps {
		if c.Name == name {
			return c.Data
		}
	}
	return nil
}

// TestKubernetesHardening checks the pods' security settings: non-root,
// read-only root file system, no privilege escalation, no capabilities, and
// resource requests with a memory limit.
func TestKubernetesHardening(t *testing.T) {
	m := loadManifests(t)
	specs := map[string]*corev1.PodSpec{}
	for _, d := range m.deployments {
		specs["Deployment "+d.Name] = &d.Spec.Template.Spec
	}
	for _, cj := range m.cronJobs {
		specs["CronJob "+cj.Name] = &cj.Spec.JobTemplate.Spec.Template.Spec
	}
	for name, spec := range specs {
		if psc := spec.SecurityContext; psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
			t.Errorf("%s: pod securityContext must set runAsNonRoot and a non-zero runAsUser", name)
		}
		if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
			t.Errorf("%s: automountServiceAccountToken must be false (beianwatch does not talk to the API server)", name)
		}
		for _, c := range spec.Containers {
			sc := c.SecurityContext
			switch {
			case sc == nil:
				t.Errorf("%s container %s: no securityContext", name, c.Name)
				continue
			case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
				t.Errorf("%s container %s: root file system not read-only", name, c.Name)
			case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
				t.Errorf("%s container %s: allowPrivilegeEscalation not false", name, c.Name)
			case sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL"):
				t.Errorf("%s container %s: capabilities not dropped", name, c.Name)
			}
			if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
				t.Errorf("%s container %s: want cpu and memory requests and a memory limit, got %v", name, c.Name, c.Resources)
			}
		}
	}
}

// TestKubernetesSettingsAccepted runs each pod's command line, environment
// and mounted config file through `beianwatch serve --print-config`, which
// refuses unknown flags, keys and bad values, and checks the listener
// agrees with the container port.
func TestKubernetesSettingsAccepted(t *testing.T) {
	m := loadManifests(t)
	bin := buildBeianwatch(t)
	type podSpec struct {
		name string
		spec *corev1.PodSpec
	}
	var pods []podSpec
	for _, d := range m.deployments {
		pods = append(pods, podSpec{"Deployment " + d.Name, &d.Spec.Template.Spec})
	}
	for _, cj := range m.cronJobs {
		pods = append(pods, podSpec{"CronJob " + cj.Name, &cj.Spec.JobTemplate.Spec.Template.Spec})
	}
	for _, p := range pods {
		t.Run(p.name, func(t *testing.T) {
			c := &p.spec.Containers[0]
			args := materializeMounts(t, m, p.spec, c)
			env := map[string]string{}
			for _, e := range c.Env {
				switch {
				case e.ValueFrom == nil:
					env[e.Name] = e.Value
				case e.ValueFrom.SecretKeyRef != nil:
					env[e.Name] = secretData(m, e.ValueFrom.SecretKeyRef.Name)[e.ValueFrom.SecretKeyRef.Key]
				case e.ValueFrom.FieldRef != nil:
					env[e.Name] = "beianwatch-7d4b9c-x2x9q"
				}
			}
			settings := effectiveConfig(t, bin, env, args...)
			if db, _ := settings["db"].(string); !strings.HasPrefix(db, "postgres://") {
				t.Errorf("db %q: want the Secret's PostgreSQL DSN", db)
			}
			if len(c.Ports) == 0 {
				return // the CronJob serves no metrics
			}
			listen, _ := settings["listen"].(string)
			_, port, err := net.SplitHostPort(listen)
			if err != nil || port != fmt.Sprint(c.Ports[0].ContainerPort) {
				t.Errorf("serve listens on %q, the container port is %d", listen, c.Ports[0].ContainerPort)
			}
		})
	}
}

// materializeMounts writes the ConfigMaps the container mounts into a
// temporary directory and returns its args with the mount paths pointing
// there.
func materializeMounts(t *testing.T, m *manifests, spec *corev1.PodSpec, c *corev1.Container) []string {
	t.Helper()
	args := slices.Clone(c.Args)
	for _, vm := range c.VolumeMounts {
		i := slices.IndexFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == vm.Name })
		if i < 0 || spec.Volumes[i].ConfigMap == nil {
			continue
		}
		dir := t.TempDir()
		for k, v := range configMapData(m, spec.Volumes[i].ConfigMap.Name) {
			if err := os.WriteFile(filepath.Join(dir, k), []byte(v), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for j, a := range args {
			if rest, ok := strings.CutPrefix(a, vm.MountPath+"/"); ok {
				args[j] = filepath.Join(dir, rest)
			}
		}
	}
	return args
}

// TestKustomization checks that kustomization.yaml lists every manifest but
// the CronJob (the alternative to the Deployment) and sets the image the
// containers use.
func TestKustomization(t *testing.T) {
	m := loadManifests(t)
	raw, err := os.ReadFile(filepath.Join(k8sDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k kustomization
	if err := yaml.UnmarshalStrict(raw, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		t.Errorf("kustomization.yaml: apiVersion %q kind %q", k.APIVersion, k.Kind)
	}
	if ns := one(t, "Namespace", m.namespaces); ns.Name != k.Namespace {
		t.Errorf("kustomization namespace %q, Namespace manifest %q", k.Namespace, ns.Name)
	}
	var want []string
	for _, f := range m.files {
		if f != "cronjob.yaml" {
			want = append(want, f)
		}
	}
	got := slices.Clone(k.Resources)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("kustomization resources %v, want %v", got, want)
	}
	image := one(t, "Deployment", m.deployments).Spec.Template.Spec.Containers[0].Image
	if len(k.Images) != 1 || k.Images[0].Name != image {
		t.Errorf("kustomization images %+v, want one entry for the containers' image %q", k.Images, image)
	}
}

// prometheusRuleHeader heads kubernetes/prometheusrule.yaml; rules.yml,
// indented, is its spec.
const prometheusRuleHeader = `# Generated from ../prometheus/rules.yml: edit that file, then run
# go test -run TestPrometheusRuleMatchesRules -update (in deploy/).
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: beianwatch
  labels:
    app.kubernetes.io/name: beianwatch
spec:
`

// TestPrometheusRuleMatchesRules keeps the Prometheus Operator's copy of
// the rules identical to rules.yml (which promtool tests).
func TestPrometheusRuleMatchesRules(t *testing.T) {
	rules, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.WriteString(prometheusRuleHeader)
	for _, line := range strings.SplitAfter(string(rules), "\n") {
		if strings.TrimSpace(line) != "" {
			b.WriteString("  ")
		}
		b.WriteString(line)
	}
	file := filepath.Join(k8sDir, "prometheusrule.yaml")
	if *update {
		if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b.Bytes()) {
		t.Fatalf("%s differs from %s: run go test -run %s -update", file, rulesFile, t.Name())
	}
	pr := one(t, "PrometheusRule", loadManifests(t).prometheusRules)
	n := 0
	for _, g := range pr.Spec.Groups {
		n += len(g.Rules)
	}
	want := 0
	for _, g := range loadRules(t).Groups {
		want += len(g.Rules)
	}
	if n != want {
		t.Errorf("PrometheusRule decodes to %d rules, rules.yml has %d", n, want)
	}
}
