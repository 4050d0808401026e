package lineprotocol

import (
	"testing"
	"time"

	lp "github.com/influxdata/line-protocol/v2/lineprotocol"

	"github.com/banscope/banscope/internal/engine"
	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/jailsim"
	"github.com/banscope/banscope/internal/numbers"
)

// BenchmarkPoints measures encoding one interval's line protocol: the
// fail2ban, banscope_jail, banscope_kind, banscope_log and banscope_parse
// points of a jail that has seen every message kind.
func BenchmarkPoints(b *testing.B) {
	eng, err := engine.New([]engine.Jail{{Settings: jailsim.Settings{Name: "sshd", MaxRetry: 5, FindTime: 600, BanTime: 600},
		Filter: filter.Spec{Name: "sshd"}}}, engine.Options{Filter: filter.Options{Location: time.UTC}})
	if err != nil {
		b.Fatal(err)
	}
	y := numbers.NewTally(nil)
	for _, k := range eng.Jails()[0].Filter.Kinds()[1:] {
		y.Failure("sshd", k)
	}
	for range 1000 {
		y.Line(100, numbers.LineState{Matched: true})
	}
	now := time.Unix(1795843527, 0)
	var enc lp.Encoder
	enc.SetPrecision(lp.Nanosecond)
	b.ReportAllocs()
	var n int
	for b.Loop() {
		enc.Reset()
		Append(&enc, y.Snapshot(eng, "web1", "auth.log", now, 10*time.Second, true))
		n = len(enc.Bytes())
		now = now.Add(10 * time.Second)
	}
	if enc.Err() != nil || n < 1000 {
		b.Fatalf("%d bytes, %v", n, enc.Err())
	}
	b.SetBytes(int64(n))
}
