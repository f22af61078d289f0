package alerts

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"
)

// TestBadConfigs pairs each testdata/config/bad-*.yaml with the exact
// error it must give (blackbox_exporter's config tests do the same).
func TestBadConfigs(t *testing.T) {
	tests := map[string]string{
		"unknown-key":            "yaml: unmarshal errors:\n  line 3: field colour not found in type alerts.Config",
		"unknown-top":            "yaml: unmarshal errors:\n  line 2: field alert not found in type struct { Alerts alerts.Config \"yaml:\\\"alerts\\\"\" }",
		"unknown-receiver-key":   "yaml: unmarshal errors:\n  line 6: field token not found in type alerts.ReceiverConfig",
		"language":               `language: "fr" is not zh, en or both`,
		"no-name":                "receivers[0]: name is required",
		"bad-name":               `receivers[0]: name "ops team": only letters, digits, '_' and '-' are allowed`,
		"duplicate":              `receiver "a": defined twice`,
		"type":                   `receiver "a": type "slack" is not alertmanager, webhook, dingtalk, wecom or feishu`,
		"receiver-language":      `receiver "a": language: "jp" is not zh, en or both`,
		"am-no-urls":             `receiver "am": urls: at least one Alertmanager URL is required`,
		"am-url":                 `receiver "am": url is not used by type alertmanager`,
		"am-bad-url":             `receiver "am": urls[0]: not a valid URL`,
		"am-resend":              `receiver "am": resend must not be negative`,
		"resend-duration":        "yaml: unmarshal errors:\n  line 3: cannot unmarshal !!str `soon` into time.Duration",
		"no-url":                 `receiver "a": url is required`,
		"url-scheme":             `receiver "a": url: ftp://oapi.dingtalk.com/robot/send?access_token=xxxxx: the scheme must be http or https`,
		"urls-on-robot":          `receiver "a": urls is not used by type feishu`,
		"secret-on-wecom":        `receiver "a": secret is not used by type wecom`,
		"secret-both":            `receiver "a": secret and secret_file are mutually exclusive`,
		"auth-both":              `receiver "a": basic_auth and bearer_token are mutually exclusive`,
		"auth-no-user":           `receiver "a": basic_auth: username is required`,
		"mobile":                 `receiver "a": at_mobiles[1] is not a mainland mobile number (11 digits starting 13-19)`,
		"at-on-feishu":           `receiver "a": at_all is not used by type feishu`,
		"timeout":                `receiver "a": timeout must not be negative`,
		"no-default":             "default_receivers: at least one receiver is required (alerts that no route matches would be lost)",
		"default-unknown":        `default_receivers: unknown receiver "b"`,
		"route-no-receivers":     "routes[0]: receivers: at least one receiver is required",
		"route-unknown-receiver": `routes[0]: unknown receiver "b"`,
		"route-severity":         `routes[0]: match: severity: "error" is not critical, warning or info`,
		"route-rule":             `routes[0]: match: rules: unknown rule "site_down"`,
		"route-code":             `routes[0]: match: codes: unknown finding code "PSB_GONE"`,
		"route-match-key":        "yaml: unmarshal errors:\n  line 5: field code not found in type alerts.Match",
	}
	files, _ := filepath.Glob("testdata/config/bad-*.yaml")
	if len(files) != len(tests) {
		t.Errorf("%d bad-*.yaml files, %d test cases: every file needs its error", len(files), len(tests))
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata/config", "bad-"+name+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			_, err = ParseConfig(f)
			if err == nil {
				t.Fatalf("ParseConfig = nil error, want %q", want)
			}
			if err.Error() != want {
				t.Errorf("ParseConfig error = %q, want %q", err, want)
			}
			for _, secret := range []string{"leaked-token", "12345"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q shows %q", err, secret)
				}
			}
		})
	}
}

// TestGoodConfig parses, builds and prints the full example; the printed
// forms are golden and must hold no secret.
func TestGoodConfig(t *testing.T) {
	c, err := LoadConfigFile("testdata/config/good.yaml")
	if err != nil {
		t.Fatalf("LoadConfigFile: %v", err)
	}
	rt, err := c.Build(nil, prometheus.NewRegistry())
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	var names []string
	for _, r := range rt.Receivers() {
		names = append(names, r.Name+"/"+r.Type)
	}
	if diff := cmp.Diff([]string{"am/alertmanager", "hook/webhook", "ops-dingtalk/dingtalk", "ops-wecom/wecom", "ops-feishu/feishu"}, names); diff != "" {
		t.Errorf("receivers (-want +got):\n%s", diff)
	}
	am, _ := rt.Receiver("am")
	if am.Resend != DefaultResend {
		t.Errorf("am Resend = %v, want %v", am.Resend, DefaultResend)
	}
	dt, _ := rt.Receiver("ops-dingtalk")
	if got := dt.notifier.(*DingTalk); got.Secret != "SECdingtalk-secret-7" || got.Language != LanguageZH {
		t.Errorf("dingtalk secret from file = %q, language %q", got.Secret, got.Language)
	}
	if got := rt.byName["ops-feishu"].notifier.(*Feishu); got.Language != LanguageEN {
		t.Errorf("feishu language = %q, want en", got.Language)
	}
	if got := rt.byName["ops-wecom"].notifier.(*WeCom); got.Language != LanguageZH {
		t.Errorf("wecom language = %q, want zh (its own)", got.Language)
	}

	y, err := yaml.Marshal(map[string]*Config{"alerts": c})
	if err != nil {
		t.Fatal(err)
	}
	var jb strings.Builder
	enc := json.NewEncoder(&jb)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		t.Fatal(err)
	}
	j := []byte(jb.String())
	golden(t, "config/good.masked.yaml", y)
	golden(t, "config/good.masked.json", j)
	for _, secret := range []string{"hunter2", "abc123", "webhook-secret-1", "bearer-secret-2", "dt-token-3", "wc-key-4", "fs-token-5", "feishu-secret-6", "13800138000"} {
		if strings.Contains(string(y), secret) || strings.Contains(string(j), secret) {
			t.Errorf("printed config shows %q", secret)
		}
	}
	// The masked print keeps the configuration's shape: it decodes
	// strictly (masked mobiles make it fail validation, on purpose).
	var back struct{ Alerts Config }
	dec := yaml.NewDecoder(strings.NewReader(string(y)))
	dec.KnownFields(true)
	if err := dec.Decode(&back); err != nil {
		t.Errorf("masked YAML does not decode: %v", err)
	}
}

func TestEmptyConfig(t *testing.T) {
	for _, doc := range []string{"", "alerts: {}\n"} {
		c, err := ParseConfig(strings.NewReader(doc))
		if err != nil {
			t.Fatalf("ParseConfig(%q): %v", doc, err)
		}
		rt, err := c.Build(nil, nil)
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
		if got := rt.Route(sampleAlerts()[0]); len(got) != 0 {
			t.Errorf("empty config routes to %v", got)
		}
	}
}

func TestBuildSecretFiles(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte(" \n"), 0o600)
	tests := []struct {
		name string
		rc   ReceiverConfig
		want string
	}{
		{"missing", ReceiverConfig{Name: "a", Type: TypeDingTalk, URL: "http://127.0.0.1/x", SecretFile: filepath.Join(dir, "nope")},
			`receiver "a": secret_file: open ` + filepath.Join(dir, "nope") + `: no such file or directory`},
		{"empty", ReceiverConfig{Name: "a", Type: TypeFeishu, URL: "http://127.0.0.1/x", SecretFile: empty},
			`receiver "a": secret_file: ` + empty + ` is empty`},
		{"password", ReceiverConfig{Name: "a", Type: TypeWebhook, URL: "http://127.0.0.1/x", BasicAuth: &BasicAuth{Username: "u", PasswordFile: empty}},
			`receiver "a": basic_auth: password_file: ` + empty + ` is empty`},
	}
	for _, tt := range tests {
		c := Config{Receivers: []ReceiverConfig{tt.rc}, DefaultReceivers: []string{"a"}}
		_, err := c.Build(nil, nil)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: Build error = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://oapi.dingtalk.com/robot/send?access_token=abc", "https://oapi.dingtalk.com/robot/send?access_token=xxxxx"},
		{"https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1&sign=x%2By", "https://oapi.dingtalk.com/robot/send?access_token=xxxxx&timestamp=1&sign=xxxxx"},
		{"https://open.feishu.cn/open-apis/bot/v2/hook/0123-abcd", "https://open.feishu.cn/open-apis/bot/v2/hook/xxxxx"},
		{"http://user:pw@127.0.0.1:9093/am", "http://user:xxxxx@127.0.0.1:9093/am"},
		{"http://127.0.0.1:9093", "http://127.0.0.1:9093"},
		{"http://[::1", "http://[::1"},
	}
	for _, tt := range tests {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
