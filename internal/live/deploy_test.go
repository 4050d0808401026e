package live

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/banscope/banscope/internal/output/influxpush"
	promout "github.com/banscope/banscope/internal/output/prometheus"
)

// The Prometheus dashboard queries only metrics banscope exports.
func TestDashboardMetrics(t *testing.T) {
	b, err := os.ReadFile("../../deploy/grafana/banscope-prometheus.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("dashboard is not JSON: %v", err)
	}
	known := map[string]bool{}
	ch := make(chan *prometheus.Desc)
	go func() {
		promout.Collector{}.Describe(ch)
		influxpush.Health{}.Describe(ch)
		stateHealth{}.Describe(ch)
		close(ch)
	}()
	re := regexp.MustCompile(`fqName: "([a-z0-9_]+)"`)
	for desc := range ch {
		if m := re.FindStringSubmatch(desc.String()); m != nil {
			known[m[1]] = true
		}
	}
	names := regexp.MustCompile(`\bbanscope_[a-z0-9_]+`)
	n := 0
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			for _, m := range names.FindAllString(tg.Expr, -1) {
				n++
				if !known[m] {
					t.Errorf("dashboard queries %s, which banscope does not export", m)
				}
			}
		}
	}
	if n == 0 || len(known) < 20 {
		t.Fatalf("%d metric references, %d known metrics", n, len(known))
	}
}

// The shipped unit keeps its sandbox: every directive `systemd-analyze
// security` counts cheaply, and loopback-only networking by default.
func TestUnitHardening(t *testing.T) {
	b, err := os.ReadFile("../../deploy/banscope.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateDevices=yes", "PrivateMounts=yes",
		"RemoveIPC=yes", "IPAddressDeny=any", "IPAddressAllow=localhost", "CapabilityBoundingSet=\n", "MemoryDenyWriteExecute=yes"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the unit lacks %q", strings.TrimSpace(want))
		}
	}
	if exe, err := exec.LookPath("systemd-analyze"); err == nil {
		out, _ := exec.Command(exe, "verify", "../../deploy/banscope.service").CombinedOutput()
		for _, l := range strings.Split(string(out), "\n") {
			if l != "" && !strings.Contains(l, "/usr/local/bin/banscope") && !strings.Contains(l, "is not executable") {
				t.Errorf("systemd-analyze verify: %s", l)
			}
		}
	}
}
