package lexicontest_test

import (
	"bytes"
	"testing"

	"github.com/beianwatch/beianwatch/lexicon"
	"github.com/beianwatch/beianwatch/lexicon/lexicontest"
)

func TestGenerate(t *testing.T) {
	for _, n := range []int{1, 1000, 100000} {
		b := lexicontest.Generate(n, 1)
		l, err := lexicon.Load(bytes.NewReader(b), "generated.txt")
		if err != nil {
			t.Fatalf("Generate(%d): %v", n, err)
		}
		if l.Len() != n {
			t.Errorf("Generate(%d) loads %d distinct phrases, want %d", n, l.Len(), n)
		}
		if again := lexicontest.Generate(n, 1); !bytes.Equal(again, b) {
			t.Errorf("Generate(%d, 1) differs between calls", n)
		}
	}
	if a, b := lexicontest.Generate(1000, 1), lexicontest.Generate(1000, 2); bytes.Equal(a, b) {
		t.Error("Generate(1000, 1) = Generate(1000, 2): the seed does nothing")
	}
}
