package alerts

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/beianwatch/beianwatch/internal/redact"
)

// Receiver types, the values of ReceiverConfig.Type.
const (
	TypeAlertmanager = "alertmanager"
	TypeWebhook      = "webhook"
	TypeDingTalk     = "dingtalk"
	TypeWeCom        = "wecom"
	TypeFeishu       = "feishu"
)

// Defaults for receivers that leave a field out.
const (
	// DefaultTimeout bounds one delivery: the request and reading the
	// answer.
	DefaultTimeout = 10 * time.Second
	// DefaultResend is how often firing alerts are re-sent to an
	// Alertmanager: Prometheus's own --rules.alert.resend-delay.
	DefaultResend = time.Minute
)

// Config is the alerts section of the configuration file:
//
//	alerts:
//	  language: both            # zh | en | both (default both)
//	  receivers:
//	    - name: am
//	      type: alertmanager    # alertmanager | webhook | dingtalk | wecom | feishu
//	      urls: [http://127.0.0.1:9093]
//	      resend: 1m
//	    - name: ops-dingtalk
//	      type: dingtalk
//	      url: https://oapi.dingtalk.com/robot/send?access_token=...
//	      secret_file: /etc/beianwatch/dingtalk.secret
//	      language: zh
//	  routes:                   # first match wins unless continue: true
//	    - match: {severity: [critical], codes: [PSB_MISSING], tags: [vip], rules: [deadline_missed]}
//	      receivers: [ops-dingtalk]
//	      continue: true
//	  default_receivers: [am]   # alerts no route matches
//
// The zero Config has no receivers: alerts go nowhere. Printing a Config
// with yaml.Marshal or json.Marshal masks its secrets (see Secret,
// SecretURL and Mobile), which is what --print-config needs.
type Config struct {
	// Language of messages for receivers that do not choose their own.
	Language Language `yaml:"language,omitempty" json:"language,omitempty"`
	// Receivers are the places alerts can go, each with a unique name.
	Receivers []ReceiverConfig `yaml:"receivers,omitempty" json:"receivers,omitempty"`
	// Routes are tried in order; the first that matches an alert decides
	// its receivers, unless it has Continue, in which case later routes
	// are tried too and the receivers add up.
	Routes []Route `yaml:"routes,omitempty" json:"routes,omitempty"`
	// DefaultReceivers get the alerts that no route matches.
	DefaultReceivers []string `yaml:"default_receivers,omitempty" json:"default_receivers,omitempty"`
}

// ReceiverConfig configures one receiver. Which fields apply depends on
// Type; Validate rejects a field the type does not use.
type ReceiverConfig struct {
	// Name identifies the receiver in routes, the outbox and the
	// receiver label of metrics: letters, digits, '_' and '-'.
	Name string `yaml:"name" json:"name"`
	// Type is one of the Type* constants.
	Type string `yaml:"type" json:"type"`
	// Language overrides Config.Language.
	Language Language `yaml:"language,omitempty" json:"language,omitempty"`
	// URL is the webhook or robot URL (all types but alertmanager). The
	// robots' URLs carry their access token.
	URL SecretURL `yaml:"url,omitempty" json:"url,omitempty"`
	// URLs are the Alertmanagers' base URLs (type alertmanager); each gets
	// every alert, as Alertmanager's HA setup requires.
	URLs []SecretURL `yaml:"urls,omitempty" json:"urls,omitempty"`
	// Resend is how often firing alerts must be re-sent (type
	// alertmanager; default DefaultResend). Each send tells Alertmanager
	// the alert ends 4×Resend later, Prometheus's rule, so an alert that
	// stops being re-sent resolves there on its own.
	Resend time.Duration `yaml:"resend,omitempty" json:"resend,omitempty"`
	// Secret signs requests: the webhook's HMAC key, DingTalk's and
	// Feishu's signing secret. SecretFile names a file holding it
	// instead (surrounding white space is ignored; a relative name is
	// relative to the working directory). Build reads the file.
	Secret     Secret `yaml:"secret,omitempty" json:"secret,omitempty"`
	SecretFile string `yaml:"secret_file,omitempty" json:"secret_file,omitempty"`
	// BasicAuth or BearerToken(File) authenticate requests (types
	// alertmanager and webhook).
	BasicAuth       *BasicAuth `yaml:"basic_auth,omitempty" json:"basic_auth,omitempty"`
	BearerToken     Secret     `yaml:"bearer_token,omitempty" json:"bearer_token,omitempty"`
	BearerTokenFile string     `yaml:"bearer_token_file,omitempty" json:"bearer_token_file,omitempty"`
	// AtMobiles are mobile numbers to @ in the group, AtAll @s everyone
	// (type dingtalk).
	AtMobiles []Mobile `yaml:"at_mobiles,omitempty" json:"at_mobiles,omitempty"`
	AtAll     bool     `yaml:"at_all,omitempty" json:"at_all,omitempty"`
	// Timeout bounds one delivery (default DefaultTimeout).
	Timeout time.Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

// BasicAuth is HTTP basic authentication.
type BasicAuth struct {
	Username string `yaml:"username" json:"username"`
	// Password, or PasswordFile naming a file that holds it.
	Password     Secret `yaml:"password,omitempty" json:"password,omitempty"`
	PasswordFile string `yaml:"password_file,omitempty" json:"password_file,omitempty"`
}

// Route sends the alerts it matches to its receivers.
type Route struct {
	// Match selects the alerts; the empty Match takes them all.
	Match Match `yaml:"match,omitempty" json:"match,omitempty"`
	// Receivers are the names of the receivers that get them.
	Receivers []string `yaml:"receivers" json:"receivers"`
	// Continue lets later routes match the alert too.
	Continue bool `yaml:"continue,omitempty" json:"continue,omitempty"`
}

// Match selects alerts. An alert matches when, for every list that is
// not empty, it has one of the list's values (one of its codes or tags is
// in the list, for Codes and Tags). The empty Match matches every alert.
type Match struct {
	Severity []Severity `yaml:"severity,omitempty" json:"severity,omitempty"`
	Rules    []string   `yaml:"rules,omitempty" json:"rules,omitempty"`
	Codes    []string   `yaml:"codes,omitempty" json:"codes,omitempty"`
	Tags     []string   `yaml:"tags,omitempty" json:"tags,omitempty"`
	Domains  []string   `yaml:"domains,omitempty" json:"domains,omitempty"`
}

// Matches reports whether a matches m.
func (m Match) Matches(a Alert) bool {
	return anyIn(m.Severity, a.Severity) &&
		anyIn(m.Rules, a.Rule) &&
		anyIn(m.Codes, a.Codes...) &&
		anyIn(m.Tags, a.Tags...) &&
		anyIn(m.Domains, a.Domain)
}

// anyIn reports whether list is empty or holds one of vs.
func anyIn[T comparable](list []T, vs ...T) bool {
	if len(list) == 0 {
		return true
	}
	for _, v := range vs {
		if slices.Contains(list, v) {
			return true
		}
	}
	return false
}

// ParseConfig reads a YAML document whose top level is "alerts:", as in
// Config's example; any other key, here or below, is an error. The result
// is validated. An empty document is the zero Config.
func ParseConfig(r io.Reader) (*Config, error) {
	var doc struct {
		Alerts Config `yaml:"alerts"`
	}
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if err := doc.Alerts.Validate(); err != nil {
		return nil, err
	}
	return &doc.Alerts, nil
}

// LoadConfigFile is ParseConfig on a file; errors name the file.
func LoadConfigFile(name string) (*Config, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c, err := ParseConfig(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

var receiverName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// mobilePattern is a mainland mobile number, as sitefile validates them.
var mobilePattern = regexp.MustCompile(`^1[3-9][0-9]{9}$`)

// Validate checks the configuration without touching files or the
// network; Build reads secret files. Errors name the receiver or route and
// never include a secret, a token or a mobile number.
func (c *Config) Validate() error {
	if err := validLanguage(c.Language); err != nil {
		return err
	}
	names := make(map[string]bool)
	for i := range c.Receivers {
		r := &c.Receivers[i]
		if r.Name == "" {
			return fmt.Errorf("receivers[%d]: name is required", i)
		}
		if !receiverName.MatchString(r.Name) {
			return fmt.Errorf("receivers[%d]: name %q: only letters, digits, '_' and '-' are allowed", i, r.Name)
		}
		if names[r.Name] {
			return fmt.Errorf("receiver %q: defined twice", r.Name)
		}
		names[r.Name] = true
		if err := r.validate(); err != nil {
			return fmt.Errorf("receiver %q: %w", r.Name, err)
		}
	}
	known := func(where string, rs []string) error {
		for _, n := range rs {
			if !names[n] {
				return fmt.Errorf("%s: unknown receiver %q", where, n)
			}
		}
		return nil
	}
	for i, rt := range c.Routes {
		where := fmt.Sprintf("routes[%d]", i)
		if len(rt.Receivers) == 0 {
			return fmt.Errorf("%s: receivers: at least one receiver is required", where)
		}
		if err := known(where, rt.Receivers); err != nil {
			return err
		}
		if err := rt.Match.validate(); err != nil {
			return fmt.Errorf("%s: match: %w", where, err)
		}
	}
	if len(c.Receivers) > 0 && len(c.DefaultReceivers) == 0 {
		return errors.New("default_receivers: at least one receiver is required (alerts that no route matches would be lost)")
	}
	return known("default_receivers", c.DefaultReceivers)
}

func validLanguage(l Language) error {
	switch l {
	case "", LanguageZH, LanguageEN, LanguageBoth:
		return nil
	}
	return fmt.Errorf("language: %q is not zh, en or both", string(l))
}

// fields a receiver type may use, beyond name, type, language, timeout.
var typeFields = map[string][]string{
	TypeAlertmanager: {"urls", "resend", "basic_auth", "bearer_token"},
	TypeWebhook:      {"url", "secret", "basic_auth", "bearer_token"},
	TypeDingTalk:     {"url", "secret", "at_mobiles", "at_all"},
	TypeWeCom:        {"url"},
	TypeFeishu:       {"url", "secret"},
}

func (r *ReceiverConfig) validate() error {
	allowed, ok := typeFields[r.Type]
	if !ok {
		return fmt.Errorf("type %q is not alertmanager, webhook, dingtalk, wecom or feishu", r.Type)
	}
	set := map[string]bool{
		"url":          r.URL != "",
		"urls":         len(r.URLs) > 0,
		"resend":       r.Resend != 0,
		"secret":       r.Secret != "" || r.SecretFile != "",
		"basic_auth":   r.BasicAuth != nil,
		"bearer_token": r.BearerToken != "" || r.BearerTokenFile != "",
		"at_mobiles":   len(r.AtMobiles) > 0,
		"at_all":       r.AtAll,
	}
	for _, f := range []string{"url", "urls", "resend", "secret", "basic_auth", "bearer_token", "at_mobiles", "at_all"} {
		if set[f] && !slices.Contains(allowed, f) {
			return fmt.Errorf("%s is not used by type %s", f, r.Type)
		}
	}
	if err := validLanguage(r.Language); err != nil {
		return err
	}
	if r.Timeout < 0 {
		return errors.New("timeout must not be negative")
	}
	if r.Type == TypeAlertmanager {
		if len(r.URLs) == 0 {
			return errors.New("urls: at least one Alertmanager URL is required")
		}
		for i, u := range r.URLs {
			if err := validURL(string(u)); err != nil {
				return fmt.Errorf("urls[%d]: %w", i, err)
			}
		}
		if r.Resend < 0 {
			return errors.New("resend must not be negative")
		}
	} else {
		if r.URL == "" {
			return errors.New("url is required")
		}
		if err := validURL(string(r.URL)); err != nil {
			return fmt.Errorf("url: %w", err)
		}
	}
	if r.Secret != "" && r.SecretFile != "" {
		return errors.New("secret and secret_file are mutually exclusive")
	}
	if r.BearerToken != "" && r.BearerTokenFile != "" {
		return errors.New("bearer_token and bearer_token_file are mutually exclusive")
	}
	if r.BasicAuth != nil {
		if r.BearerToken != "" || r.BearerTokenFile != "" {
			return errors.New("basic_auth and bearer_token are mutually exclusive")
		}
		if r.BasicAuth.Username == "" {
			return errors.New("basic_auth: username is required")
		}
		if r.BasicAuth.Password != "" && r.BasicAuth.PasswordFile != "" {
			return errors.New("basic_auth: password and password_file are mutually exclusive")
		}
	}
	for i, m := range r.AtMobiles {
		if !mobilePattern.MatchString(string(m)) {
			return fmt.Errorf("at_mobiles[%d] is not a mainland mobile number (11 digits starting 13-19)", i)
		}
	}
	return nil
}

// validURL accepts absolute http and https URLs. Errors show the URL
// redacted: robot URLs carry their token.
func validURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%s: the scheme must be http or https", redactURL(raw))
	}
	if u.Host == "" {
		return fmt.Errorf("%s: no host", redactURL(raw))
	}
	return nil
}

func (m Match) validate() error {
	for _, s := range m.Severity {
		if s != SeverityCritical && s != SeverityWarning && s != SeverityInfo {
			return fmt.Errorf("severity: %q is not critical, warning or info", string(s))
		}
	}
	for _, r := range m.Rules {
		if !slices.Contains(Rules(), r) {
			return fmt.Errorf("rules: unknown rule %q", r)
		}
	}
	for _, c := range m.Codes {
		if _, ok := codeTitles()[c]; !ok {
			return fmt.Errorf("codes: unknown finding code %q", c)
		}
	}
	return nil
}

// Secret is a string that prints as "<secret>" (with yaml, json and fmt)
// when it is not empty; the code reads it with string(s).
type Secret string

const masked = "<secret>"

func (s Secret) mask() string {
	if s == "" {
		return ""
	}
	return masked
}

// String masks the secret.
func (s Secret) String() string { return s.mask() }

// MarshalYAML masks the secret.
func (s Secret) MarshalYAML() (any, error) { return s.mask(), nil }

// MarshalJSON masks the secret.
func (s Secret) MarshalJSON() ([]byte, error) { return jsonString(s.mask()), nil }

// SecretURL is a URL that may carry a secret (a robot's access token in
// its query or path, a password in its user info); it prints redacted.
type SecretURL string

// String redacts the URL.
func (u SecretURL) String() string { return redactURL(string(u)) }

// MarshalYAML redacts the URL.
func (u SecretURL) MarshalYAML() (any, error) { return u.String(), nil }

// MarshalJSON redacts the URL.
func (u SecretURL) MarshalJSON() ([]byte, error) { return jsonString(u.String()), nil }

// Mobile is a mobile number to @ in a group: personal data, so it prints
// masked like exports do (138****5678).
type Mobile string

// String masks the number.
func (m Mobile) String() string {
	if len(m) != 11 {
		return strings.Repeat("*", len(m))
	}
	return string(m[:3]) + "****" + string(m[7:])
}

// MarshalYAML masks the number.
func (m Mobile) MarshalYAML() (any, error) { return m.String(), nil }

// MarshalJSON masks the number.
func (m Mobile) MarshalJSON() ([]byte, error) { return jsonString(m.String()), nil }

func jsonString(s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return b
}

// redactURL hides what may be secret in a URL (the password, a robot's
// token in the query or in a Feishu hook's path): redact.URL, the one
// rule for every URL beianwatch prints or stores.
func redactURL(raw string) string { return redact.URL(raw) }
