package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/banscope/banscope/internal/filter/sshd"
	"github.com/banscope/banscope/internal/jailsim"
)

func TestWhatIfSettings(t *testing.T) {
	spec := jailsim.NewJailSpec("sshd", "sshd")
	spec.Origin["maxretry"] = "jail.local [sshd]"
	setup := &jailSetup{hasDB: true, specs: []jailsim.JailSpec{spec}}
	sc, err := setup.whatIf("maxretry=3,findtime=1d,bantime=3d,mode=aggressive,counting=sliding,ignoreip=10.0.0.0/8,192.0.2.1,bantime.increment=true,bantime.maxtime=1w")
	if err != nil {
		t.Fatal(err)
	}
	j := sc.Jails[0]
	s := j.Settings
	mode, _ := sshd.ParseMode(j.Filter.Params["mode"])
	got := fmt.Sprint(s.MaxRetry, s.FindTime, s.BanTime, mode, s.Counting, s.Ignore.Rules(), s.Increment.Enabled, s.Increment.MaxTime, j.Origin["maxretry"])
	if want := "3 86400 259200 aggressive sliding [10.0.0.0/8 192.0.2.1] true 604800--what-if"; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	if base := setup.specs[0]; base.MaxRetry != 5 || base.Origin["maxretry"] != "jail.local [sshd]" {
		t.Error("the configured jail was changed")
	}
	for _, bad := range []string{"", "maxretry", "maxretry=lots", "findtime=soon", "mode=paranoid", "banana=1"} {
		if _, err := setup.whatIf(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestProgressLine(t *testing.T) {
	got := progressLine(50e6, 100e6, 2*time.Second)
	if want := "[###############---------------]  50% 50.0 MB/100.0 MB 25.0 MB/s ETA 0:02"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := progressLine(0, 0, 0); !strings.Contains(got, "ETA --:--") {
		t.Errorf("no total: %q", got)
	}
}

// Through the command line: each --what-if is one scenario (its commas
// separate settings), and the JSON has one what_if entry per scenario.
func TestWhatIfCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	cmd := Command()
	cmd.Writer, cmd.ErrWriter = &out, &errOut
	err := cmd.Run(context.Background(), []string{"banscope", "replay", "--config", "", "--timezone", "UTC", "--format", "json",
		"--what-if", "maxretry=3,findtime=1d,bantime=3d", "--what-if", "maxretry=5,findtime=10m,bantime=10m", "../../testdata/auth.log"})
	if err != nil {
		t.Fatal(err, errOut.String())
	}
	var doc struct {
		Jails map[string]struct {
			TotalBanned int64 `json:"total_banned"`
		}
		WhatIf []struct {
			Label    string
			Settings map[string]any
			Jails    map[string]struct {
				TotalBanned int64 `json:"total_banned"`
			}
		} `json:"what_if"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.WhatIf) != 2 || doc.WhatIf[0].Label != "maxretry=3,findtime=1d,bantime=3d" ||
		fmt.Sprint(doc.WhatIf[0].Settings) != "map[bantime:259200 findtime:86400 maxretry:3]" {
		t.Fatalf("what_if: %+v", doc.WhatIf)
	}
	// the second scenario is the default configuration again
	if doc.WhatIf[1].Jails["sshd"].TotalBanned != doc.Jails["sshd"].TotalBanned || doc.WhatIf[0].Jails["sshd"].TotalBanned <= doc.Jails["sshd"].TotalBanned {
		t.Errorf("bans: configured %d, scenarios %+v", doc.Jails["sshd"].TotalBanned, doc.WhatIf)
	}
}
