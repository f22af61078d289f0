package main

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/beianwatch/beianwatch/internal/redact"
)

// envName is the environment variable that sets a flag: BEIANWATCH_ and
// the flag's name in upper snake case (--recheck-interval →
// BEIANWATCH_RECHECK_INTERVAL).
func envName(flag string) string {
	return "BEIANWATCH_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applyConfig fills the flags a command line did not set, first from the
// environment, then from the YAML file (if any), so that the precedence is
// flags, environment, file, defaults, for every command. Every value goes
// through the flag's own parser, so a file says "24h" or "5MiB" exactly
// as a flag would. One file serves the whole tool: its keys are flag
// names, and a key is read by the commands that have that flag; a key
// that no command has is an error (a typo must not silently leave a
// default in place).
func applyConfig(cmd *cobra.Command, getenv func(string) string, file string, scratch func() *cobra.Command) error {
	fs := cmd.Flags()
	var fromFile map[string]any
	if file != "" {
		raw, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("read config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		if err := dec.Decode(&fromFile); err != nil && err != io.EOF {
			return fmt.Errorf("config %s: %w", file, err)
		}
		if err := flattenCases(fromFile); err != nil {
			return fmt.Errorf("config %s: %w", file, err)
		}
		if err := checkFile(file, fromFile, scratch()); err != nil {
			return err
		}
	}
	var firstErr error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || firstErr != nil || slices.Contains(commandLineOnly, f.Name) {
			return
		}
		// Changed keeps meaning "given on the command line": commands
		// that ask it (check's --db, say) mean the command line.
		defer func() { f.Changed = false }()
		if v := getenv(envName(f.Name)); v != "" {
			if err := setFlag(fs, f, []string{v}); err != nil {
				firstErr = fmt.Errorf("invalid %s %q: %w", envName(f.Name), v, err)
			}
			return
		}
		v, ok := fromFile[f.Name]
		if !ok {
			return
		}
		vals, err := yamlValues(v)
		if err == nil {
			err = setFlag(fs, f, vals)
		}
		if err != nil {
			firstErr = fmt.Errorf("config %s: %s: %w", file, f.Name, err)
		}
	})
	return firstErr
}

// commandLineOnly are the flags that only the command line sets: --actor
// names the person acting (an environment or a shared file must not act
// in someone's name), the others say what to do rather than how.
var commandLineOnly = []string{"config", "help", "version", "actor", "print-config"}

// checkFile checks every setting of the file, whichever command runs: a
// key must be a flag of some command, and its value must parse as that
// flag's, so that a mistake for serve is found by `case list` too. The
// values are set on scratch, a command tree of its own that is thrown
// away.
func checkFile(file string, fromFile map[string]any, scratch *cobra.Command) error {
	flags := map[string]*pflag.Flag{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, fs := range []*pflag.FlagSet{c.LocalFlags(), c.PersistentFlags()} {
			fs.VisitAll(func(f *pflag.Flag) { flags[f.Name] = f })
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(scratch)
	for _, key := range slices.Sorted(maps.Keys(fromFile)) {
		if slices.Contains(configSections, key) {
			continue // read by its own parser (configSection)
		}
		f, ok := flags[key]
		if !ok || slices.Contains(commandLineOnly, key) {
			return fmt.Errorf("config %s: unknown setting %q (settings are the flags of the commands, without --)", file, key)
		}
		vals, err := yamlValues(fromFile[key])
		for _, v := range vals {
			if err == nil {
				err = f.Value.Set(v)
			}
		}
		if err != nil {
			return fmt.Errorf("config %s: %s: %w", file, key, err)
		}
	}
	return nil
}

// configSections are the keys of serve's --config file that hold a
// section of their own (a mapping, strictly decoded by the package that
// owns it) rather than a flag's value.
var configSections = []string{"alerts", "policies"}

// casesKeys map the keys of the cases section of serve's --config file
// to the flags they set; nested sections join with ".".
var casesKeys = map[string]string{
	"takedown_deadline":               "takedown-deadline",
	"rectification_days":              "rectification-days",
	"extension_days":                  "extension-days",
	"holiday_files":                   "holiday-file",
	"verify_interval":                 "case-interval",
	"open_after":                      "rectify-after",
	"open_codes":                      "rectify-codes",
	"open_severities":                 "rectify-severities",
	"lexicon":                         "lexicon",
	"escalation.url":                  "escalation-url",
	"escalation.secret_file":          "escalation-secret-file",
	"escalation.require_confirmation": "escalation-require-confirmation",
}

// flattenCases turns the file's cases section into the flag settings it
// stands for, so that it takes its place in the precedence like any
// other setting:
//
//	cases:
//	  takedown_deadline: 24h
//	  rectification_days: 10
//	  escalation: {url: https://cp.example.cn/block, require_confirmation: true}
//
// A key it does not know is an error; a flag set in the file both ways
// is too.
func flattenCases(fromFile map[string]any) error {
	sec, ok := fromFile["cases"]
	if !ok {
		return nil
	}
	delete(fromFile, "cases")
	var walk func(prefix string, v any) error
	walk = func(prefix string, v any) error {
		m, ok := v.(map[string]any)
		if !ok {
			flag, known := casesKeys[prefix]
			if !known {
				return fmt.Errorf("cases: unknown setting %q", prefix)
			}
			if _, dup := fromFile[flag]; dup {
				return fmt.Errorf("cases: %s and %s set the same thing", prefix, flag)
			}
			fromFile[flag] = v
			return nil
		}
		for k, x := range m {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			if err := walk(key, x); err != nil {
				return err
			}
		}
		return nil
	}
	if sec == nil {
		return nil
	}
	if _, ok := sec.(map[string]any); !ok {
		return fmt.Errorf("cases: want a mapping")
	}
	return walk("", sec)
}

// configSection returns the YAML document {key: <the file's key>} for the
// section's own parser, or nil when the file (or its key) is absent.
func configSection(file, key string) ([]byte, error) {
	if file == "" {
		return nil, nil
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	var doc map[string]yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("config %s: %w", file, err)
	}
	node, ok := doc[key]
	if !ok {
		return nil, nil
	}
	out, err := yaml.Marshal(map[string]*yaml.Node{key: &node})
	if err != nil {
		return nil, fmt.Errorf("config %s: %s: %w", file, key, err)
	}
	return out, nil
}

// setFlag sets a flag as if given on the command line once per value.
func setFlag(fs *pflag.FlagSet, f *pflag.Flag, vals []string) error {
	for _, v := range vals {
		if err := fs.Set(f.Name, v); err != nil {
			return err
		}
	}
	return nil
}

// yamlValues turns a YAML value into flag arguments: a list gives one per
// item (repeatable flags), anything else its plain text.
func yamlValues(v any) ([]string, error) {
	switch v := v.(type) {
	case []any:
		var out []string
		for _, x := range v {
			s, err := yamlValues(x)
			if err != nil {
				return nil, err
			}
			out = append(out, s...)
		}
		return out, nil
	case map[string]any:
		return nil, fmt.Errorf("a mapping is not a value")
	case nil:
		return nil, nil
	}
	return []string{fmt.Sprint(v)}, nil
}

// section is a section of the config file for printConfig: its value
// must mask its own secrets when marshalled.
type section struct {
	key   string
	value any
}

// printConfig writes the effective settings as YAML that --config reads,
// with secrets masked (redact): the credentials in the DSN and in every
// URL, and any setting whose name says it is a secret.
func printConfig(w io.Writer, cmd *cobra.Command, sections ...section) error {
	settings := map[string]any{}
	for _, s := range sections {
		if s.value != nil {
			settings[s.key] = s.value
		}
	}
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		switch f.Name {
		case "config", "print-config", "help", "version":
			return
		}
		var v any = f.Value.String()
		switch f.Value.Type() {
		case "bool":
			v = f.Value.String() == "true"
		case "int":
			v, _ = strconv.Atoi(f.Value.String())
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			v = sv.GetSlice()
		}
		switch {
		case f.Name == "db":
			v = redact.DSN(f.Value.String())
		case redact.IsSecretName(f.Name) && !strings.HasSuffix(f.Name, "-file"):
			if f.Value.String() != "" {
				v = redact.Mask
			}
		case f.Value.Type() == "string" && strings.Contains(f.Value.String(), "://"):
			// Every URL-valued setting (escalation and notice webhooks,
			// contact pages): their tokens live in the URL.
			v = redact.URL(f.Value.String())
		}
		settings[f.Name] = v
	})
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var doc yaml.Node
	doc.Kind = yaml.MappingNode
	for _, k := range keys {
		var kn, vn yaml.Node
		kn.SetString(k)
		if err := vn.Encode(settings[k]); err != nil {
			return err
		}
		doc.Content = append(doc.Content, &kn, &vn)
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	return enc.Close()
}
