package notice

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

//go:embed templates/*.tmpl
var embedded embed.FS

// Renderer renders notices from a set of templates. It is safe for
// concurrent use.
type Renderer struct {
	// tmpl holds, per language, every file of that language parsed into
	// one template set, so kind files can call the common file's
	// templates.
	tmpl  map[Lang]*template.Template
	codes map[string]checker.CodeInfo
}

// fileNames are the template files, and the only names an override
// directory may hold.
func fileNames() []string {
	var names []string
	for _, l := range []Lang{Chinese, English} {
		for _, base := range []string{"common", string(Takedown), string(Rectification)} {
			names = append(names, base+"."+string(l)+".tmpl")
		}
	}
	return names
}

// New returns a Renderer of the embedded templates.
func New() *Renderer {
	r, err := Load("")
	if err != nil {
		// The embedded templates are checked by the package's tests.
		panic(err)
	}
	return r
}

// Load returns a Renderer of the embedded templates, each replaced by the
// file of the same name in dir when there is one ("" for none). It fails,
// naming the file, on a file name it does not know, a template that does
// not parse, an event whose subject or body is not defined, and a
// template that fails on sample data (a misspelt field, say), so that a
// broken override is found at start-up rather than when a customer should
// be told.
func Load(dir string) (*Renderer, error) {
	src := make(map[string][]byte)
	for _, name := range fileNames() {
		b, err := fs.ReadFile(embedded, "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("notice: embedded %s: %w", name, err)
		}
		src[name] = b
	}
	if dir != "" {
		if err := readOverrides(dir, src); err != nil {
			return nil, err
		}
	}
	r := &Renderer{tmpl: make(map[Lang]*template.Template), codes: make(map[string]checker.CodeInfo)}
	for _, c := range checker.Codes() {
		r.codes[c.Code] = c
	}
	for _, l := range []Lang{Chinese, English} {
		t := template.New(string(l)).Option("missingkey=error").Funcs(template.FuncMap{"join": strings.Join})
		for _, base := range []string{"common", string(Takedown), string(Rectification)} {
			name := base + "." + string(l) + ".tmpl"
			if _, err := t.New(name).Parse(string(src[name])); err != nil {
				return nil, fmt.Errorf("notice: %s: %w", fileLabel(dir, name), err)
			}
		}
		r.tmpl[l] = t
	}
	if err := r.check(dir); err != nil {
		return nil, err
	}
	return r, nil
}

// readOverrides replaces src entries with dir's files.
func readOverrides(dir string, src map[string][]byte) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("notice: templates: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if !slices.Contains(fileNames(), e.Name()) {
			return fmt.Errorf("notice: %s: unknown template file (want one of %s)",
				path.Join(dir, e.Name()), strings.Join(fileNames(), ", "))
		}
		b, err := os.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return fmt.Errorf("notice: %w", err)
		}
		src[e.Name()] = b
	}
	return nil
}

func fileLabel(dir, name string) string {
	if dir != "" {
		if _, err := os.Stat(path.Join(dir, name)); err == nil {
			return path.Join(dir, name)
		}
	}
	return "embedded " + name
}

// check renders every notice with sample data. Kind files share one
// namespace per language, so their define names carry the kind.
func (r *Renderer) check(dir string) error {
	for _, l := range []Lang{Chinese, English} {
		for _, k := range []Kind{Takedown, Rectification} {
			file := fileLabel(dir, string(k)+"."+string(l)+".tmpl")
			for _, e := range events[k] {
				for _, part := range []string{"subject", "body"} {
					name := string(k) + "." + string(e) + "." + part
					if r.tmpl[l].Lookup(name) == nil {
						return fmt.Errorf("notice: %s: missing {{define %q}}", file, name)
					}
				}
				if _, err := r.render(l, sample(k, e)); err != nil {
					return fmt.Errorf("notice: %s: %w", file, err)
				}
			}
		}
	}
	return nil
}

// Render renders the notice for d in every language, Chinese first.
func (r *Renderer) Render(d Data) ([]Message, error) {
	if err := d.validate(); err != nil {
		return nil, err
	}
	var out []Message
	for _, l := range []Lang{Chinese, English} {
		m, err := r.render(l, d)
		if err != nil {
			return nil, fmt.Errorf("notice: case %d %s %s: %w", d.CaseID, d.Event, l, err)
		}
		out = append(out, m)
	}
	return out, nil
}

func (r *Renderer) render(l Lang, d Data) (Message, error) {
	v, err := r.view(l, d)
	if err != nil {
		return Message{}, err
	}
	prefix := string(d.Kind) + "." + string(d.Event) + "."
	var subj, body bytes.Buffer
	if err := r.tmpl[l].ExecuteTemplate(&subj, prefix+"subject", v); err != nil {
		return Message{}, err
	}
	if err := r.tmpl[l].ExecuteTemplate(&body, prefix+"body", v); err != nil {
		return Message{}, err
	}
	return Message{
		Lang:    l,
		Subject: strings.Join(strings.Fields(subj.String()), " "),
		Body:    tidy(body.String()),
	}, nil
}

// tidy trims trailing spaces and collapses runs of blank lines, so that
// templates can be laid out for reading.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	for _, ln := range lines {
		ln = strings.TrimRight(ln, " \t")
		if ln == "" && (len(out) == 0 || out[len(out)-1] == "") {
			continue
		}
		out = append(out, ln)
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n") + "\n"
}

// view is what templates see: Data with times formatted and codes and
// categories in the notice's language.
type view struct {
	Data
	Category         string
	BlockLevel       string
	Findings         []viewFinding
	Deadline         string
	PreviousDeadline string
	At               string
	// Provisional names the years whose holiday calendar was missing when
	// the deadline was counted ("2028", "2028、2029"); "" for none.
	Provisional string
}

type viewFinding struct{ Code, Text string }

var errUnknownCode = errors.New("unknown finding code")

func (r *Renderer) view(l Lang, d Data) (view, error) {
	v := view{
		Data:             d,
		Category:         localize(l, categoryNames, d.Category),
		BlockLevel:       localize(l, blockLevelNames, d.BlockLevel),
		Deadline:         formatDeadline(l, d.Deadline),
		PreviousDeadline: formatDeadline(l, d.PreviousDeadline),
		At:               formatTime(d.At),
	}
	sep := " and "
	if l == Chinese {
		sep = "、"
	}
	for i, y := range d.ProvisionalYears {
		if i > 0 {
			v.Provisional += sep
		}
		v.Provisional += strconv.Itoa(y)
	}
	for _, f := range d.Findings {
		c, ok := r.codes[f.Code]
		if !ok {
			return view{}, fmt.Errorf("%w %q", errUnknownCode, f.Code)
		}
		text := c.Title
		if l == Chinese {
			text = c.TitleZH
		}
		switch {
		case l == Chinese && f.MessageZH != "":
			text = f.MessageZH
		case l == English && f.Message != "":
			text = f.Message
		}
		v.Findings = append(v.Findings, viewFinding{Code: f.Code, Text: text})
	}
	return v, nil
}

// categoryNames and blockLevelNames translate the stored words; an
// unknown word is printed as it is.
var categoryNames = map[string][2]string{
	"gambling":      {"赌博", "gambling"},
	"pornography":   {"色情", "pornography"},
	"fraud":         {"诈骗", "fraud"},
	"illegal_trade": {"非法交易", "illegal trade"},
	"copyright":     {"侵犯著作权", "copyright infringement"},
	"other":         {"其他违法违规信息", "other illegal content"},
}

var blockLevelNames = map[string][2]string{
	"url":     {"相关网页", "the pages concerned"},
	"domain":  {"整个域名", "the whole domain"},
	"service": {"全部服务", "the whole service"},
}

func localize(l Lang, names map[string][2]string, word string) string {
	n, ok := names[word]
	switch {
	case !ok:
		return word
	case l == Chinese:
		return n[0]
	}
	return n[1]
}

// sample is the data templates are checked against at Load.
func sample(k Kind, e Event) Data {
	t := time.Date(2026, 10, 9, 15, 59, 59, 0, time.UTC)
	return Data{
		CaseID: 1, Kind: k, Event: e, Domain: "example.cn", SiteName: "示例", CustomerID: "C-1",
		Category: "gambling", URLs: []string{"https://example.cn/a"},
		Findings: []Finding{{Code: checker.CodeBadgeOverdue}}, Evidence: []string{"澳门赌场"},
		Deadline: t, PreviousDeadline: t.AddDate(0, 0, -7), ExtensionWorkingDays: 7, At: t, ProvisionalYears: []int{2028},
		BlockLevel: "domain",
		Provider:   Provider{Name: "P", ContactURL: "https://p.example/", ContactEmail: "abuse@p.example"},
	}
}
