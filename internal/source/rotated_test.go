package source

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOrderRotated(t *testing.T) {
	tests := []struct {
		name     string
		in, want []string
	}{
		{"numbered", []string{"/l/auth.log", "/l/auth.log.1", "/l/auth.log.2.gz", "/l/auth.log.10.gz"},
			[]string{"/l/auth.log.10.gz", "/l/auth.log.2.gz", "/l/auth.log.1", "/l/auth.log"}},
		{"dated", []string{"auth.log", "auth.log-20261128.gz", "auth.log-20261121"},
			[]string{"auth.log-20261121", "auth.log-20261128.gz", "auth.log"}},
		{"unrelated keep order", []string{"b.log", "a.log.1", "a.log", "b.log.1"},
			[]string{"b.log.1", "b.log", "a.log.1", "a.log"}},
		{"xz and zst", []string{"x/auth.log.1.zst", "x/auth.log.2.xz"}, []string{"x/auth.log.2.xz", "x/auth.log.1.zst"}},
		{"other dirs apart", []string{"h1/auth.log", "h2/auth.log.1", "h2/auth.log"}, []string{"h1/auth.log", "h2/auth.log.1", "h2/auth.log"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, OrderRotated(tt.in)); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}
