package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/banscope/banscope/internal/source"
)

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// hostOfPath names a file's host after its directory: logs/web1/auth.log
// belongs to web1.
func hostOfPath(file string) string {
	abs, err := filepath.Abs(file)
	if err != nil {
		abs = file
	}
	return filepath.Base(filepath.Dir(abs))
}

// orderByHost groups files by host (in order of first mention) and orders
// each host's rotated set oldest first.
func orderByHost(files []string) []string {
	var hosts []string
	by := map[string][]string{}
	for _, f := range files {
		h := hostOfPath(f)
		if _, ok := by[h]; !ok {
			hosts = append(hosts, h)
		}
		by[h] = append(by[h], f)
	}
	var out []string
	for _, h := range hosts {
		out = append(out, source.OrderRotated(by[h])...)
	}
	return out
}

// progress draws a bar on a terminal: bytes read of the files' total,
// rate and time left.
type progress struct {
	bytes *atomic.Int64
	stop  chan struct{}
	ended chan struct{}
}

func startProgress(w io.Writer, files []string) *progress {
	var total int64
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			total += st.Size()
		}
	}
	p := &progress{bytes: new(atomic.Int64), stop: make(chan struct{}), ended: make(chan struct{})}
	go func() {
		defer close(p.ended)
		start := time.Now()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		drawn := false
		for {
			select {
			case <-p.stop:
				if drawn {
					fmt.Fprint(w, "\r\033[K")
				}
				return
			case <-t.C:
				fmt.Fprint(w, "\r"+progressLine(p.bytes.Load(), total, time.Since(start))+"\033[K")
				drawn = true
			}
		}
	}()
	return p
}

func (p *progress) done() {
	close(p.stop)
	<-p.ended
}

// progressLine renders one state of the bar.
func progressLine(done, total int64, elapsed time.Duration) string {
	const width = 30
	frac := 0.0
	if total > 0 {
		frac = min(float64(done)/float64(total), 1)
	}
	n := int(frac * width)
	rate := float64(done) / max(elapsed.Seconds(), 1e-3)
	eta := "--:--"
	if rate > 0 && total > done {
		left := time.Duration(float64(total-done) / rate * float64(time.Second))
		eta = fmt.Sprintf("%d:%02d", int(left.Minutes()), int(left.Seconds())%60)
	} else if total > 0 && done >= total {
		eta = "0:00"
	}
	return fmt.Sprintf("[%s%s] %3.0f%% %s/%s %s/s ETA %s", strings.Repeat("#", n), strings.Repeat("-", width-n),
		frac*100, mb(done), mb(total), mb(int64(rate)), eta)
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
