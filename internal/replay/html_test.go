package replay

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// chromium returns the headless browser, or skips (fails when
// BANSCOPE_REQUIRE_CHROMIUM is set: scripts/test installs it).
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("BANSCOPE_REQUIRE_CHROMIUM") != "" {
		t.Fatal("chromium is not installed (Debian package chromium)")
	}
	t.Skip("chromium is not installed")
	return ""
}

// render loads page in headless Chromium at a window width and returns
// its console messages and its screenshot.
func render(t *testing.T, bin, page string, width int) ([]string, []byte) {
	dir := t.TempDir()
	shot := filepath.Join(dir, "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--enable-logging=stderr", "--v=0",
		"--window-size="+strconv.Itoa(width)+",1600", "--screenshot="+shot, "file://"+page)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	var console []string
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(l, ":CONSOLE") {
			console = append(console, l)
		}
	}
	b, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	return console, b
}

// blank checks that a screenshot shows something: many colours, and
// a fair share of pixels that are not the background.
func blank(shot []byte) error {
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		return err
	}
	bg := img.At(0, img.Bounds().Dy()-1)
	colours := map[[4]uint32]bool{}
	differ, total := 0, 0
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y += 2 {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x += 2 {
			c := img.At(x, y)
			r, g, b, a := c.RGBA()
			colours[[4]uint32{r >> 8, g >> 8, b >> 8, a >> 8}] = true
			if c != bg {
				differ++
			}
			total++
		}
	}
	if len(colours) < 50 || differ < total/4 {
		return fmt.Errorf("screenshot looks blank: %d colours, %d of %d pixels differ from the background", len(colours), differ, total)
	}
	return nil
}

// The HTML report renders in a real browser with no console message (no
// script error, nothing blocked by its Content Security Policy: it fetches
// nothing), on a desktop and a phone width, even with hostile names.
func TestHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	res := hostileReport(t)
	res.Hosts[0].WhatIf = append(res.Hosts[0].WhatIf, ScenarioResult{Scenario: Scenario{Label: "<b>same</b>"}, Jails: res.Hosts[0].Jails})
	var page bytes.Buffer
	if err := res.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(f, page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, width := range []int{1100, 390} {
		console, shot := render(t, bin, f, width)
		if len(console) > 0 {
			t.Errorf("width %d: console messages:\n%s", width, strings.Join(console, "\n"))
		}
		if err := blank(shot); err != nil {
			t.Errorf("width %d: %v", width, err)
		}
	}
}

// The checks above can fail: a page that breaks its policy is reported,
// and a blank page is seen as blank.
func TestChromiumChecksCanFail(t *testing.T) {
	bin := chromium(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.html")
	os.WriteFile(bad, []byte(`<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'"></head>`+
		`<body><img src="http://127.0.0.1:9/x.png"></body></html>`), 0o644)
	console, shot := render(t, bin, bad, 600)
	if len(console) == 0 {
		t.Error("a blocked fetch should show in the console")
	}
	if blank(shot) == nil {
		t.Error("an empty page should look blank")
	}
}

// Chart ticks fall at round local times, midnight labelled with its date,
// and none sits where its label would be clipped.
func TestTimeTicks(t *testing.T) {
	kolkata, err := time.LoadLocation("Asia/Kolkata") // +05:30: round hours are not round in UTC
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		loc        *time.Location
		from, to   string
		wantLabels string
	}{
		{time.UTC, "2026-11-27T06:00:00Z", "2026-11-28T01:45:00Z", "06:00 09:00 12:00 15:00 18:00 21:00 11-28"},
		{kolkata, "2026-11-27T06:00:00Z", "2026-11-28T01:45:00Z", "12:00 15:00 18:00 21:00 11-28 03:00 06:00"},
		{time.UTC, "2026-11-27T10:02:00Z", "2026-11-27T10:29:00Z", "10:05 10:10 10:15 10:20 10:25"},
		{time.UTC, "2026-11-20T13:00:00Z", "2026-11-28T01:00:00Z", "11-21 11-22 11-23 11-24 11-25 11-26 11-27 11-28"},
	} {
		from, _ := time.Parse(time.RFC3339, c.from)
		to, _ := time.Parse(time.RFC3339, c.to)
		var labels []string
		for _, tk := range timeTicks(from.Unix(), to.Unix(), c.loc, 8) {
			lt := time.Unix(tk.t, 0).In(c.loc)
			if lt.Second() != 0 || lt.Minute()%5 != 0 || tk.t < from.Unix() || tk.t > to.Unix() {
				t.Errorf("%s..%s: a tick at %s", c.from, c.to, lt)
			}
			labels = append(labels, tk.label)
		}
		if got := strings.Join(labels, " "); got != c.wantLabels {
			t.Errorf("%s..%s in %s: ticks %q, want %q", c.from, c.to, c.loc, got, c.wantLabels)
		}
	}
	// on the chart: the tick at the plot's left edge is left out (its label
	// would overlap the axis), the others are inside the plot
	r := &Result{Location: time.UTC}
	ts := []int64{}
	for t0 := int64(1795845600); t0 < 1795845600+20*3600; t0 += 300 {
		ts = append(ts, t0)
	}
	c := r.barChart(ts, 300, make([]float64, len(ts)), nil, "failures")
	for _, tk := range c.XTicks {
		x, _ := strconv.ParseFloat(tk.X, 64)
		if x < padL+18 || x > chartW-padR-18 {
			t.Errorf("tick %q at x=%v: its label is clipped", tk.Label, x)
		}
	}
	if len(c.XTicks) < 5 || c.XTicks[0].Label == "06:00" {
		t.Errorf("ticks %+v", c.XTicks)
	}
}
