package sitefile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// largeSize is the size of the generated files: the 50 MB, or
// 10 MB under the race detector, which would take most of a minute.
func largeSize() int64 {
	if raceEnabled {
		return 10 << 20
	}
	return 50 << 20
}

// writeLarge generates a site file of about size bytes, every row valid
// and distinct, and returns its path and row count.
func writeLarge(t *testing.T, format string, size int64) (string, int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "large."+format)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	cw := &countingWriter{w: w}
	if format == FormatCSV {
		fmt.Fprintln(cw, "domains,site_name,icp_number,icp_approved_on,launched_on,psb_number,ips,operator_type,operator_name,contact_name,contact_phone,contact_email,tags")
	} else {
		fmt.Fprint(cw, "[\n")
	}
	n := 0
	for ; cw.n < size; n++ {
		// Sequences from 1: all zeros is a placeholder.
		icp := fmt.Sprintf("京ICP备2021%06d号-1", n%999999+1)
		psb := fmt.Sprintf("11010502%06d", n%999999+1)
		if format == FormatCSV {
			fmt.Fprintf(cw, "site%07d.example.cn;www.site%07d.example.cn,\"站点 %d, 有限公司\",%s,2021-06-01,2021-06-02,%s,203.0.%d.%d,单位,某某科技有限公司,张三,13812345678,ops@example.cn,bulk;generated\n",
				n, n, n, icp, psb, n/256%256, n%256)
			continue
		}
		if n > 0 {
			fmt.Fprint(cw, ",\n")
		}
		fmt.Fprintf(cw, `{"domains":["site%07d.example.cn","www.site%07d.example.cn"],"site_name":"站点 %d","icp_number":"%s","icp_approved_on":"2021-06-01","psb_number":"%s","ips":["203.0.%d.%d"],"operator_type":"organization","contact_phone":"13812345678","tags":["bulk"]}`,
			n, n, n, icp, psb, n/256%256, n%256)
	}
	if format == FormatJSON {
		fmt.Fprint(cw, "\n]\n")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return path, n
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// TestReadLarge streams a 50 MB file (see largeSize) and checks that the heap stays far
// below the file's size: only the domains seen are kept.
func TestReadLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("50 MB files: skipped in -short")
	}
	for _, format := range []string{FormatCSV, FormatJSON} {
		t.Run(format, func(t *testing.T) {
			size := largeSize()
			path, want := writeLarge(t, format, size)
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			base := ms.HeapAlloc
			var peak uint64
			start := time.Now()
			rd, err := NewReader(f, filepath.Base(path), ReadOptions{Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for ; ; n++ {
				row, err := rd.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if len(row.Errors) > 0 {
					t.Fatalf("row %d: %v", n, row.Errors)
				}
				if n%20000 == 0 {
					runtime.GC() // live data only: garbage is not what the reader needs
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapAlloc-min(base, ms.HeapAlloc))
				}
			}
			if n != want {
				t.Errorf("read %d rows, want %d", n, want)
			}
			t.Logf("%d rows in %v, live heap peak about %d MiB over the start", n, time.Since(start).Round(time.Millisecond), peak>>20)
			// The file's size would already mean holding it; the domain set
			// is a fraction of that.
			if limit := uint64(size); peak > limit {
				t.Errorf("heap grew by %d MiB reading a %d MiB file, want under %d MiB", peak>>20, size>>20, limit>>20)
			}
		})
	}
}
