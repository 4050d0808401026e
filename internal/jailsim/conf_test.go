package jailsim

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func writeConf(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const jailConf = `[INCLUDES]
before = paths-debian.conf

[DEFAULT]
enabled = false
mode = normal
filter = %(__name__)s[mode=%(mode)s]
bantime  = 10m
findtime  = 10m
maxretry = 5
ignoreself = true

[sshd]
port    = ssh
logpath = %(sshd_log)s
backend = %(sshd_backend)s

[recidive]
logpath  = /var/log/fail2ban.log
bantime  = 1w
findtime = 1d
`

const pathsDebian = `[DEFAULT]
syslog_authpriv = /var/log/auth.log
sshd_log = %(syslog_authpriv)s
sshd_backend = %(default_backend)s
default_backend = %(default/backend)s
backend = auto
`

func TestConfigPrecedence(t *testing.T) {
	dir := writeConf(t, map[string]string{
		"jail.conf":                   jailConf,
		"paths-debian.conf":           pathsDebian,
		"jail.d/defaults-debian.conf": "[sshd]\nenabled = true\n",
		"jail.d/aa.conf":              "[sshd]\nbantime = 2h\nmaxretry = 4\n",
		"jail.local":                  "[DEFAULT]\nbantime = 1h\nmaxretry = 3\nignoreip = 127.0.0.1/8 ::1,\n  192.0.2.0/24 ; inline comment\n",
		"jail.d/zz.local":             "[sshd]\nmaxretry = 7\nmode = aggressive\n",
	})
	c, err := LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	js, err := c.EnabledJails()
	if err != nil {
		t.Fatal(err)
	}
	if len(js) != 1 || js[0].Name != "sshd" {
		t.Fatalf("jails %+v", js)
	}
	j := js[0]
	// a section value beats [DEFAULT] whatever the file order; later files win
	if j.BanTime != 7200 || j.MaxRetry != 7 || j.FindTime != 600 {
		t.Errorf("bantime %v maxretry %v findtime %v", j.BanTime, j.MaxRetry, j.FindTime)
	}
	if j.Filter != "sshd" || j.FilterOpts["mode"] != "aggressive" {
		t.Errorf("filter %q %v", j.Filter, j.FilterOpts)
	}
	if strings.Join(j.IgnoreIP, " ") != "127.0.0.1/8 ::1 192.0.2.0/24" {
		t.Errorf("ignoreip %q", j.IgnoreIP)
	}
	if j.LogPath[0] != "/var/log/auth.log" {
		t.Errorf("logpath %q", j.LogPath)
	}
	if !strings.HasSuffix(j.Origin["maxretry"], "zz.local:2") || !strings.HasSuffix(j.Origin["bantime"], "aa.conf:2") {
		t.Errorf("origins %v", j.Origin)
	}
	if len(j.Unsupported) != 0 {
		t.Errorf("unsupported %v", j.Unsupported)
	}
	if v, _, _, _ := c.Get("sshd", "backend"); v != "auto" {
		t.Errorf("backend %q", v)
	}
}

func TestConfigErrors(t *testing.T) {
	for name, body := range map[string]string{
		"no section":   "maxretry = 3\n",
		"bad header":   "[sshd\n",
		"no separator": "[sshd]\nenabled\n",
		"bad maxretry": "[sshd]\nenabled = true\nmaxretry = lots\n",
		"bad duration": "[sshd]\nenabled = true\nbantime = 10q\n",
		"loop":         "[sshd]\nenabled = true\nbantime = %(findtime)s\nfindtime = %(bantime)s\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeConf(t, map[string]string{"jail.local": body})
			c, err := LoadConfig(dir)
			if err == nil {
				_, err = c.EnabledJails()
			}
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), "jail.local") {
				t.Errorf("error does not name the file: %v", err)
			}
		})
	}
}

// Debian's own configuration, when installed, gives the default sshd jail.
func TestDebianConfig(t *testing.T) {
	if _, err := os.Stat("/etc/fail2ban/jail.conf"); err != nil {
		if os.Getenv("BANSCOPE_REQUIRE_FAIL2BAN") != "" {
			t.Fatal("fail2ban's configuration is missing, and BANSCOPE_REQUIRE_FAIL2BAN is set")
		}
		t.Skip("fail2ban is not installed")
	}
	c, err := LoadConfig("/etc/fail2ban")
	if err != nil {
		t.Fatal(err)
	}
	js, err := c.EnabledJails()
	if err != nil {
		t.Fatal(err)
	}
	var sshd *JailSpec
	for i := range js {
		if js[i].Name == "sshd" {
			sshd = &js[i]
		}
	}
	if sshd == nil {
		t.Fatalf("no sshd jail in %v", js)
	}
	if sshd.MaxRetry != 5 || sshd.FindTime != 600 || sshd.BanTime != 600 || sshd.FilterOpts["mode"] != "normal" {
		t.Errorf("sshd %+v", sshd)
	}
}

// An exponential %(x)s expansion (ten levels of ten references: 10^10
// copies of a few bytes) is refused, naming the file and line, without
// taking the memory it asks for.
func TestInterpolationBound(t *testing.T) {
	var b strings.Builder
	b.WriteString("[DEFAULT]\nv0 = xxxxxxxx\n")
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&b, "v%d = %s\n", i, strings.Repeat(fmt.Sprintf("%%(v%d)s", i-1), 10))
	}
	b.WriteString("[sshd]\nenabled = true\nignoreip = %(v10)s\n")
	dir := writeConf(t, map[string]string{"jail.local": b.String()})
	c, err := LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = c.EnabledJails()
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "jail.local:15") || !strings.Contains(err.Error(), "interpolation grows beyond") {
		t.Fatalf("error %v, want the bound and jail.local:15", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 256<<20 {
		t.Errorf("%d MiB allocated", grew>>20)
	}
}

// A configuration line over the limit names its file and line.
func TestLongConfigLine(t *testing.T) {
	dir := writeConf(t, map[string]string{"jail.local": "[sshd]\nenabled = true\nignoreip = " + strings.Repeat("1.2.3.4 ", 200000) + "\n"})
	_, err := LoadConfig(dir)
	if err == nil || !strings.Contains(err.Error(), "jail.local:3: a line longer than") {
		t.Fatalf("error %v", err)
	}
}
