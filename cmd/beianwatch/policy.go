package main

import (
	"bytes"
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/beianwatch/beianwatch/checker"
)

// sitePolicies are the policies serve judges sites by: the default one
// (--policy, or the built-in one) and, per customer, one for each tag of
// the config file's policies section.
type sitePolicies struct {
	def   *checker.Policy // nil: the built-in one
	byTag map[string]*checker.Policy
	// files are the policies section as given, for --print-config.
	files map[string]string
}

// loadPolicies reads --policy and the policies section of the config
// file:
//
//	policy: /etc/beianwatch/policy.yaml   # the --policy flag: every site
//	policies:                             # sites carrying a tag
//	  vip: /etc/beianwatch/strict.yaml
//	  legacy-hosting: /etc/beianwatch/lenient.yaml
//
// Every file is read and checked now: a bad one stops serve from starting.
func loadPolicies(configFile, policyFile string) (*sitePolicies, error) {
	p := &sitePolicies{byTag: map[string]*checker.Policy{}}
	var err error
	if policyFile != "" {
		if p.def, err = loadPolicy(policyFile); err != nil {
			return nil, fmt.Errorf("--policy: %w", err)
		}
	}
	raw, err := configSection(configFile, "policies")
	if raw == nil || err != nil {
		return p, err
	}
	var sec struct {
		Policies map[string]string `yaml:"policies"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&sec); err != nil {
		return nil, fmt.Errorf("config %s: policies: want a mapping of site tags to policy files: %w", configFile, err)
	}
	tags := make([]string, 0, len(sec.Policies))
	for tag := range sec.Policies {
		tags = append(tags, tag)
	}
	slices.Sort(tags) // the first bad one is the same on every run
	for _, tag := range tags {
		file := sec.Policies[tag]
		if tag == "" || file == "" {
			return nil, fmt.Errorf("config %s: policies: %q: want a tag and a policy file", configFile, tag)
		}
		pol, err := loadPolicy(file)
		if err != nil {
			return nil, fmt.Errorf("config %s: policies: %s: %w", configFile, tag, err)
		}
		p.byTag[tag] = pol
	}
	p.files = sec.Policies
	return p, nil
}
