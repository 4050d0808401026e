package replay

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/banscope/banscope/internal/authgen"
	"github.com/banscope/banscope/internal/engine"
)

// `replay -` with journal entries on standard input: journalctl -o json
// and -o export give the same jails, and the same as the syslog file of
// the same traffic (whose stamps are the entries' times).
func TestReplayJournalStdin(t *testing.T) {
	dir := t.TempDir()
	c := traffic(31, 20000, "web1")
	c.Hostile = 0.02
	path := genFile(t, dir, "auth.log", c)
	var b bytes.Buffer
	if err := authgen.Generate(&b, c); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^(\w+ +\d+ [\d:]+) (\S+) ([^\[: ]+)(?:\[(\d+)\])?: (.*)$`)
	var js, ex bytes.Buffer
	for i, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		m := re.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("line %q", l)
		}
		ts, _ := time.Parse("2006 Jan _2 15:04:05", "2026 "+m[1])
		us := strconv.FormatInt(ts.UnixMicro(), 10)
		e := map[string]string{"__CURSOR": fmt.Sprint("c", i), "__REALTIME_TIMESTAMP": us, "_HOSTNAME": m[2], "SYSLOG_IDENTIFIER": m[3], "MESSAGE": m[5]}
		if m[4] != "" {
			e["SYSLOG_PID"] = m[4]
		}
		j, _ := json.Marshal(e)
		js.Write(append(j, '\n'))
		for _, k := range []string{"__CURSOR", "__REALTIME_TIMESTAMP", "_HOSTNAME", "SYSLOG_IDENTIFIER", "SYSLOG_PID", "MESSAGE"} {
			v, ok := e[k]
			switch {
			case !ok:
			case k == "MESSAGE" && i%3 == 0: // binary form
				ex.WriteString(k + "\n")
				binary.Write(&ex, binary.LittleEndian, uint64(len(v)))
				ex.WriteString(v + "\n")
			default:
				ex.WriteString(k + "=" + v + "\n")
			}
		}
		ex.WriteString("\n")
	}
	jails := []engine.Jail{sshdJail(3, 600, 600)}
	syslog := run(t, Config{Files: []string{path}, Jails: jails, Year: 2026})
	fromJSON := run(t, Config{Files: []string{"-"}, Jails: jails, Stdin: &js, Journal: true})
	fromExport := run(t, Config{Files: []string{"-"}, Jails: jails, Stdin: &ex, Journal: true})
	want := outcome(syslog.Hosts[0].Jails[0])
	for name, r := range map[string]*Result{"json": fromJSON, "export": fromExport} {
		if got := outcome(r.Hosts[0].Jails[0]); got != want {
			t.Errorf("%s: %s\n  syslog file: %s", name, got, want)
		}
		if r.Hosts[0].Lines.Read != 20000 {
			t.Errorf("%s: %d lines read", name, r.Hosts[0].Lines.Read)
		}
	}
	if syslog.Hosts[0].Jails[0].Status.TotalBanned == 0 {
		t.Error("no ban: the comparison shows nothing")
	}
}

// A journal stream whose entries cannot be read is an error naming how
// many, after the report of the rest.
func TestReplayJournalBadEntries(t *testing.T) {
	in := strings.NewReader(`{"__REALTIME_TIMESTAMP":"1795737600000000","_HOSTNAME":"web1","SYSLOG_IDENTIFIER":"sshd","SYSLOG_PID":"1","MESSAGE":"Invalid user a from 203.0.113.5 port 1"}
{"MESSAGE":"no time"}
not json
`)
	res, err := Run(Config{Files: []string{"-"}, Jails: []engine.Jail{sshdJail(3, 600, 600)}, Stdin: in, Journal: true, Now: wall, Location: time.UTC})
	if err == nil || !strings.Contains(err.Error(), "2 of 3 journal entries could not be read") {
		t.Errorf("err %v", err)
	}
	if res == nil || res.Hosts[0].Jails[0].Status.TotalFailed != 1 {
		t.Errorf("the readable entry was not counted: %+v", res)
	}
}
