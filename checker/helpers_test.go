package checker

import (
	"fmt"
	"strings"
)

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }

func replaceOnce(s, old, new string) string { return strings.Replace(s, old, new, 1) }
