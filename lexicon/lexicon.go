// Package lexicon scans page text for the provider's list of phrases that
// suggest illegal content. A match only opens a "suspected" takedown case
// for a human to confirm or dismiss; it never blocks anything by itself.
//
// A lexicon file is UTF-8 text, one phrase a line as category<TAB>phrase;
// blank lines and lines starting with # are ignored. Phrases and text are
// normalised alike (NFKC, so full-width ＡＢＣ１２３ is abc123, then lower
// case; Chinese characters are kept as they are), so a phrase matches
// whatever width or case a page writes it in.
package lexicon

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Category is the kind of illegal content a phrase points to. The same
// set classifies takedown cases.
type Category string

// The categories, as written in lexicon files and takedown cases.
const (
	Gambling     Category = "gambling"
	Pornography  Category = "pornography"
	Fraud        Category = "fraud"
	IllegalTrade Category = "illegal_trade"
	Copyright    Category = "copyright"
	Other        Category = "other"
)

// Categories returns every category, in documentation order.
func Categories() []Category {
	return []Category{Gambling, Pornography, Fraud, IllegalTrade, Copyright, Other}
}

// ErrUnknownCategory is wrapped by ParseCategory's error.
var ErrUnknownCategory = errors.New("unknown category")

// ParseCategory checks a category name.
func ParseCategory(s string) (Category, error) {
	if c := Category(s); slices.Contains(Categories(), c) {
		return c, nil
	}
	return "", fmt.Errorf("%w %q (want gambling, pornography, fraud, illegal_trade, copyright or other)", ErrUnknownCategory, s)
}

// maxPhraseRunes bounds a phrase: anything longer is a pasted paragraph,
// not a phrase.
const maxPhraseRunes = 200

// Lexicon is a loaded phrase list. It is immutable and safe for
// concurrent use.
type Lexicon struct {
	name     string
	original []string // each phrase as the file first wrote it, by id
	category []Category
	fold     *folder
	ix       *index
	// bufs keeps the buffers Scan folds text into, which would otherwise
	// be a page-sized allocation a page.
	bufs sync.Pool
}

// Match is one phrase found in a text.
type Match struct {
	// Phrase is the phrase as the lexicon file wrote it.
	Phrase   string
	Category Category
	// Count is how many times it occurs (overlapping occurrences count).
	Count int
}

// Load reads a lexicon. name (usually the file's path) is used in error
// messages. Duplicate phrases (after normalisation) are kept once, with
// the first one's category. A file with no phrases is an error: whether
// scanning is on at all is the caller's decision, not an empty file's.
func Load(r io.Reader, name string) (*Lexicon, error) {
	return load(r, name, newFolder())
}

// load is Load with a given folder: the folder's table takes ~15 ms to
// build and is the same for every lexicon, which the fuzz tests exploit.
func load(r io.Reader, name string, fold *folder) (*Lexicon, error) {
	l := &Lexicon{name: name, fold: fold}
	seen := make(map[string]bool)
	var normal []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\uFEFF"))
		}
		if !utf8.Valid(b) {
			return nil, fmt.Errorf("lexicon: %s:%d: not valid UTF-8 (save the file as UTF-8)", name, line)
		}
		cat, phrase, err := parseLine(string(b))
		if err != nil {
			return nil, fmt.Errorf("lexicon: %s:%d: %w", name, line, err)
		}
		if phrase == "" {
			continue
		}
		n := l.fold.fold(phrase)
		if seen[n] {
			continue
		}
		seen[n] = true
		normal = append(normal, n)
		l.original = append(l.original, phrase)
		l.category = append(l.category, cat)
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return nil, fmt.Errorf("lexicon: %s:%d: line longer than 1 MiB", name, line+1)
	} else if err != nil {
		return nil, fmt.Errorf("lexicon: read %s: %w", name, err)
	}
	if len(normal) == 0 {
		return nil, fmt.Errorf("lexicon: no phrases in %s", name)
	}
	l.ix = newIndex(normal)
	return l, nil
}

// parseLine splits one line; a blank or comment line gives "", "", nil.
func parseLine(s string) (Category, string, error) {
	s = strings.TrimSuffix(s, "\r")
	if t := strings.TrimSpace(s); t == "" || strings.HasPrefix(t, "#") {
		return "", "", nil
	}
	c, phrase, ok := strings.Cut(s, "\t")
	if !ok {
		return "", "", errors.New("want category<TAB>phrase")
	}
	cat, err := ParseCategory(strings.TrimSpace(c))
	if err != nil {
		return "", "", err
	}
	phrase = strings.TrimSpace(phrase)
	switch {
	case phrase == "":
		return "", "", errors.New("empty phrase")
	case strings.Contains(phrase, "\t"):
		return "", "", errors.New("more than one tab: want category<TAB>phrase")
	case utf8.RuneCountInString(phrase) > maxPhraseRunes:
		return "", "", fmt.Errorf("phrase longer than %d characters", maxPhraseRunes)
	}
	return cat, phrase, nil
}

// Name is the name the lexicon was loaded under.
// maxPooled bounds the buffers kept for reuse, so that one huge page does
// not stay in memory.
const maxPooled = 1 << 20

func (l *Lexicon) Name() string { return l.name }

// Len is the number of distinct phrases.
func (l *Lexicon) Len() int { return len(l.original) }

// Scan finds the lexicon's phrases in text (a page's visible text, see
// VisibleText). Each phrase found appears once, with its count, in the
// order of the lexicon file; nil when none is found.
func (l *Lexicon) Scan(text string) []Match {
	buf, _ := l.bufs.Get().(*[]byte)
	if buf == nil {
		buf = new([]byte)
	}
	defer func() {
		if cap(*buf) <= maxPooled {
			l.bufs.Put(buf)
		}
	}()
	*buf = l.fold.appendFold((*buf)[:0], text)
	var counts map[int32]int
	l.ix.scan(*buf, func(id int32) {
		if counts == nil {
			counts = make(map[int32]int)
		}
		counts[id]++
	})
	if counts == nil {
		return nil
	}
	ids := make([]int32, 0, len(counts))
	for id := range counts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]Match, len(ids))
	for i, id := range ids {
		out[i] = Match{Phrase: l.original[id], Category: l.category[id], Count: counts[id]}
	}
	return out
}
