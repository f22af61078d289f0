package checker

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// UnknownDates says what a site's missing dates mean for its PSB
// obligations.
type UnknownDates string

// What missing dates mean.
const (
	// UnknownDatesDue assumes an established site: an obligation whose
	// clock cannot be started is due now.
	UnknownDatesDue UnknownDates = "due"
	// UnknownDatesLenient takes an obligation whose clock cannot be
	// started as not due (the behaviour before policies).
	UnknownDatesLenient UnknownDates = "lenient"
)

// Policy is how strictly pages are judged: what unknown dates mean, and
// severities that override the rules' own. It is a value handed to Check
// in Expect.Policy; nil means the built-in policy. A Policy is not changed
// after it is made, so one may be shared by any number of checks.
type Policy struct {
	// Name says which policy judged a report: "builtin", or the file's
	// base name and the first 8 hex digits of its SHA-256
	// ("strict.yaml@1a2b3c4d").
	Name         string
	UnknownDates UnknownDates
	// Severity overrides the severity of a finding code after the rules
	// have judged it.
	Severity map[string]Severity
}

// builtinPolicy is the documented file the built-in policy is read from,
// so that the file and the rule cannot drift apart.
//
//go:embed policy/builtin.yaml
var builtinPolicy []byte

// BuiltinPolicyFile returns the text of the built-in policy file, a
// commented starting point for a policy of one's own.
func BuiltinPolicyFile() []byte { return bytes.Clone(builtinPolicy) }

// builtin is the built-in policy, parsed once. A broken embedded file is a
// programming error that TestBuiltinPolicy catches.
var builtin = func() *Policy {
	p, err := ParsePolicy("builtin.yaml", builtinPolicy)
	if err != nil {
		panic("checker: built-in policy: " + err.Error())
	}
	p.Name = "builtin"
	return p
}()

// BuiltinPolicy returns the built-in policy.
func BuiltinPolicy() *Policy { return builtin }

// orBuiltin returns p, or the built-in policy when p is nil.
func (p *Policy) orBuiltin() *Policy {
	if p == nil {
		return builtin
	}
	return p
}

// PolicyName is the name a report records for p: "builtin" when p is nil.
func PolicyName(p *Policy) string { return p.orBuiltin().Name }

// lenient says whether unknown dates leave obligations not due.
func (p *Policy) lenient() bool { return p.orBuiltin().UnknownDates == UnknownDatesLenient }

// ParsePolicy reads a policy file. file names it in errors (which read
// "FILE:LINE: KEY: MESSAGE") and, by its base name, in Policy.Name. The
// file is decoded strictly: an unknown key, finding code or severity is an
// error, never ignored.
func ParsePolicy(file string, data []byte) (*Policy, error) {
	sum := sha256.Sum256(data)
	p := &Policy{
		Name:         baseName(file) + "@" + hex.EncodeToString(sum[:4]),
		UnknownDates: UnknownDatesDue,
		Severity:     map[string]Severity{},
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var doc yaml.Node
	switch err := dec.Decode(&doc); {
	case errors.Is(err, io.EOF):
		return p, nil // an empty file is the defaults
	case err != nil:
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: want a mapping with the keys unknown_dates and severity", file, root.Line)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if seen[k.Value] {
			return nil, fmt.Errorf("%s:%d: %s: given twice", file, k.Line, k.Value)
		}
		seen[k.Value] = true
		var err error
		switch k.Value {
		case "unknown_dates":
			err = p.setUnknownDates(v)
		case "severity":
			err = p.setSeverities(v)
		default:
			err = &nodeError{k, fmt.Sprintf("unknown key %q (want unknown_dates or severity)", k.Value)}
		}
		var ne *nodeError
		if errors.As(err, &ne) {
			key := k.Value + ": "
			if ne.node == k {
				key = ""
			}
			return nil, fmt.Errorf("%s:%d: %s%s", file, ne.node.Line, key, ne.msg)
		}
	}
	return p, nil
}

// nodeError is a policy error at a node of the file.
type nodeError struct {
	node *yaml.Node
	msg  string
}

func (e *nodeError) Error() string { return e.msg }

func (p *Policy) setUnknownDates(v *yaml.Node) error {
	if v.Kind != yaml.ScalarNode {
		return &nodeError{v, "want due or lenient"}
	}
	switch u := UnknownDates(v.Value); u {
	case UnknownDatesDue, UnknownDatesLenient:
		p.UnknownDates = u
		return nil
	}
	return &nodeError{v, fmt.Sprintf("%q is not due or lenient", v.Value)}
}

func (p *Policy) setSeverities(v *yaml.Node) error {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil
	}
	if v.Kind != yaml.MappingNode {
		return &nodeError{v, "want a mapping of finding codes to error, warning or info"}
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		code, sev := v.Content[i], v.Content[i+1]
		if _, ok := codeIndex[code.Value]; !ok {
			return &nodeError{code, fmt.Sprintf("unknown finding code %q", code.Value)}
		}
		if _, dup := p.Severity[code.Value]; dup {
			return &nodeError{code, fmt.Sprintf("%s given twice", code.Value)}
		}
		switch s := Severity(sev.Value); {
		case sev.Kind == yaml.ScalarNode && (s == SeverityError || s == SeverityWarning || s == SeverityInfo):
			p.Severity[code.Value] = s
		default:
			return &nodeError{sev, fmt.Sprintf("%s: %q is not error, warning or info", code.Value, sev.Value)}
		}
	}
	return nil
}

// baseName is the last element of a slash- or backslash-separated path
// (the checker does no file I/O, so not filepath.Base).
func baseName(file string) string {
	if i := strings.LastIndexAny(file, `/\`); i >= 0 {
		return file[i+1:]
	}
	return file
}

// applyPolicy overrides the findings' severities as the policy says.
func (c *checkRun) applyPolicy() {
	over := c.want.Policy.orBuiltin().Severity
	if len(over) == 0 {
		return
	}
	for i := range c.r.Findings {
		if s, ok := over[c.r.Findings[i].Code]; ok {
			c.r.Findings[i].Severity = s
		}
	}
}
