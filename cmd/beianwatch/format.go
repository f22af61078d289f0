package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/beianwatch/beianwatch/sitefile"
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
)

// The formats of -o/--output, one convention for every command that
// prints records.
const (
	formatTable = "table" // for people; the default
	formatJSON  = "json"  // a list as one JSON array, a single record as one object
	formatJSONL = "jsonl" // one JSON object a line
	formatCSV   = "csv"   // a header line, then a line a record
	formatYAML  = "yaml"  // a list as a YAML sequence, a single record as a mapping
)

// listFormats are the formats of a command that lists records;
// showFormats of one that shows a single record (a CSV of one row with
// nested lists is no use to anyone).
var (
	listFormats = []string{formatTable, formatJSON, formatJSONL, formatCSV, formatYAML}
	showFormats = []string{formatTable, formatJSON, formatJSONL, formatYAML}
)

// outputFlag is a command's -o/--output, with the older flags that now
// stand for one of its values (--json, --format).
type outputFlag struct {
	value   string
	allowed []string
	// aliases map an older boolean flag's name to the format it means.
	aliases map[string]string
	set     map[string]*bool
	// formatAlias, when set, is the value of an older --format flag, and
	// formatRenames what its values mean now.
	formatAlias   string
	formatRenames map[string]string
}

// addOutputFlag adds -o/--output to cmd, allowing the given formats, and
// registers their completion.
func addOutputFlag(cmd *cobra.Command, allowed []string) *outputFlag {
	o := &outputFlag{value: formatTable, allowed: allowed, aliases: map[string]string{}, set: map[string]*bool{}}
	cmd.Flags().StringVarP(&o.value, "output", "o", formatTable, "output `FORMAT`: "+strings.Join(allowed, ", "))
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(allowed, cobra.ShellCompDirectiveNoFileComp))
	return o
}

// alias adds a boolean flag that means -o format (kept where scripts use
// it: check --json, sites --json, case show --json).
func (o *outputFlag) alias(cmd *cobra.Command, name, format string) {
	b := new(bool)
	o.aliases[name], o.set[name] = format, b
	cmd.Flags().BoolVar(b, name, false, "the same as -o "+format)
}

// deprecatedFormat adds a hidden --format that sets the same as -o (the
// flag case list had before -o), its values renamed as it meant them.
func (o *outputFlag) deprecatedFormat(cmd *cobra.Command, renames map[string]string) {
	o.formatRenames = renames
	cmd.Flags().StringVar(&o.formatAlias, "format", "", "")
	_ = cmd.Flags().MarkHidden("format")
}

// format returns the format asked for, or an error naming the allowed
// ones. -o and an alias that disagree are an error too.
func (o *outputFlag) format(cmd *cobra.Command) (string, error) {
	f := strings.ToLower(strings.TrimSpace(o.value))
	given := cmd.Flags().Changed("output")
	flag, raw := "-o/--output", o.value
	if !given && !slices.Contains(o.allowed, f) && isFormat(f) {
		// From BEIANWATCH_OUTPUT or the file, which every command reads:
		// a format of other commands (export's xlsx, list's jsonl) leaves
		// this one at its default. A typo is still an error.
		f = formatTable
	}
	if o.formatAlias != "" {
		a := strings.ToLower(o.formatAlias)
		if r, ok := o.formatRenames[a]; ok {
			a = r
		}
		if given && a != f {
			return "", fmt.Errorf("--format %q and -o %q disagree: give -o only (--format is its old name)", o.formatAlias, o.value)
		}
		f, given, flag, raw = a, true, "--format", o.formatAlias
	}
	for _, name := range slices.Sorted(maps.Keys(o.set)) {
		if !*o.set[name] || (given && !cmd.Flags().Changed(name)) {
			continue // unset, or set by BEIANWATCH_* or the file, below the command line's -o
		}
		if given && f != o.aliases[name] {
			return "", fmt.Errorf("--%s and -o %q disagree: --%s is the same as -o %s", name, o.value, name, o.aliases[name])
		}
		f, given = o.aliases[name], true
	}
	if !slices.Contains(o.allowed, f) {
		return "", fmt.Errorf("invalid %s %q: want one of %s", flag, raw, strings.Join(o.allowed, ", "))
	}
	return f, nil
}

// isFormat reports whether f is a format of some command.
func isFormat(f string) bool {
	return slices.Contains(listFormats, f) || slices.Contains(exportFormats, f)
}

// recordWriter streams records of type T in a machine format: JSON (an
// array), JSON lines, CSV (header, then rows) or YAML (a sequence). Records
// are written as they come, so that a long list streams.
type recordWriter[T any] struct {
	w      io.Writer
	format string
	n      int
	csv    *csv.Writer
	row    func(T) []string
}

// newRecordWriter starts a list in format (not table) on w. header and
// row give the CSV form; they may be nil for a format other than CSV.
func newRecordWriter[T any](w io.Writer, format string, header []string, row func(T) []string) (*recordWriter[T], error) {
	rw := &recordWriter[T]{w: w, format: format, row: row}
	switch format {
	case formatCSV:
		rw.csv = csv.NewWriter(w)
		return rw, rw.csv.Write(header)
	case formatJSON:
		_, err := io.WriteString(w, "[")
		return rw, err
	}
	return rw, nil
}

func (rw *recordWriter[T]) write(v T) error {
	rw.n++
	switch rw.format {
	case formatCSV:
		cells := rw.row(v)
		for i := range cells {
			cells[i] = sitefile.GuardCell(cells[i])
		}
		return rw.csv.Write(cells)
	case formatYAML:
		return writeYAMLItem(rw.w, v)
	}
	b, err := marshalJSON(v, "")
	if err != nil {
		return err
	}
	switch {
	case rw.format == formatJSONL:
	case rw.n == 1:
		b = append([]byte("\n"), b...)
	default:
		b = append([]byte(",\n"), b...)
	}
	if rw.format == formatJSONL {
		b = append(b, '\n')
	}
	_, err = rw.w.Write(b)
	return err
}

// close ends the list: "]" of a JSON array, "[]" for an empty YAML one.
func (rw *recordWriter[T]) close() error {
	switch rw.format {
	case formatCSV:
		rw.csv.Flush()
		return rw.csv.Error()
	case formatJSON:
		end := "]\n"
		if rw.n > 0 {
			end = "\n]\n"
		}
		_, err := io.WriteString(rw.w, end)
		return err
	case formatYAML:
		if rw.n == 0 {
			_, err := io.WriteString(rw.w, "[]\n")
			return err
		}
	}
	return nil
}

// writeRecord writes one record (sites show, case show) in format, not
// table: JSON indented, JSON lines as one line, YAML as a mapping.
func writeRecord(w io.Writer, format string, v any) error {
	switch format {
	case formatYAML:
		b, err := yamlOf(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	case formatJSONL:
		b, err := marshalJSON(v, "")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	b, err := marshalJSON(v, "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// marshalJSON encodes v keeping Chinese text and the HTML in evidence
// readable (no \u escapes of <, >, &).
func marshalJSON(v any, indent string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// yamlOf is v as YAML with the keys and values of its JSON form: the
// field names are the JSON contract's, and times and dates read as they do
// there.
func yamlOf(v any) ([]byte, error) {
	b, err := marshalJSON(v, "")
	if err != nil {
		return nil, err
	}
	var node yaml.Node
	if err := yaml.Unmarshal(b, &node); err != nil {
		return nil, err
	}
	// JSON is YAML: decoded, it keeps its flow style; block style reads
	// better.
	blockStyle(&node)
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&node); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// blockStyle clears the styles JSON gave the nodes (flow, double
// quotes): the encoder quotes a string only where it must (a string that
// would read as a number, a bool or a date).
func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// writeYAMLItem writes v as one item of a YAML block sequence.
func writeYAMLItem(w io.Writer, v any) error {
	b, err := yamlOf(v)
	if err != nil {
		return err
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	var out strings.Builder
	for i, l := range lines {
		if i == 0 {
			out.WriteString("- ")
		} else if l != "" {
			out.WriteString("  ")
		}
		out.WriteString(l + "\n")
	}
	_, err = io.WriteString(w, out.String())
	return err
}

// completeVerdicts makes --verdict complete its values.
func completeVerdicts(cmd *cobra.Command) { completeValues(cmd, "verdict", verdicts) }

// completeValues makes a flag complete the given values.
func completeValues[T ~string](cmd *cobra.Command, flag string, values []T) {
	vs := make([]string, len(values))
	for i, v := range values {
		vs[i] = string(v)
	}
	_ = cmd.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(vs, cobra.ShellCompDirectiveNoFileComp))
}

// writeList writes items in format (not table), each as its view: the
// one call a list command needs.
func writeList[T, V any](w io.Writer, format string, items []T, view func(T) V, header []string, row func(V) []string) error {
	rw, err := newRecordWriter(w, format, header, row)
	if err != nil {
		return err
	}
	for _, it := range items {
		if err := rw.write(view(it)); err != nil {
			return err
		}
	}
	return rw.close()
}
