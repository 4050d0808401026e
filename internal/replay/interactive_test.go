package replay

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browser is a headless Chromium driven over the DevTools protocol, with
// what the page does recorded from the start of its tab: console
// messages, uncaught exceptions, CSP violations and other log entries,
// every network request, dialogs.
type browser struct {
	ctx      context.Context
	mu       sync.Mutex
	console  []string
	requests []string
	dialogs  int
}

func newBrowser(t *testing.T, width int) *browser {
	t.Helper()
	bin := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")), chromedp.WindowSize(width, 1400), chromedp.Flag("disable-gpu", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	b := &browser{}
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithListener(b.record))
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	b.ctx = bctx
	// The first call starts the browser, which lives as long as that
	// call's context: b.ctx itself, not one with a timeout.
	if err := chromedp.Do(bctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	return b
}

// record keeps an event (on the tab's reading goroutine: no command here).
func (b *browser) record(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var args []string
		for _, a := range e.Args {
			args = append(args, string(a.Value))
		}
		b.console = append(b.console, fmt.Sprintf("console.%s %s", e.Type, strings.Join(args, " ")))
	case *runtime.EventExceptionThrown:
		msg := e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			msg += " " + e.ExceptionDetails.Exception.Description
		}
		b.console = append(b.console, "exception: "+msg)
	case *cdplog.EventEntryAdded:
		b.console = append(b.console, fmt.Sprintf("log %s %s: %s", e.Entry.Source, e.Entry.Level, e.Entry.Text))
	case *network.EventRequestWillBeSent:
		b.requests = append(b.requests, e.Request.URL)
	case *page.EventJavascriptDialogOpening:
		b.dialogs++
		go chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			return err
		}))
	}
}

func (b *browser) run(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

func eval[T any](t *testing.T, b *browser, js string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// writePage writes res's HTML report to a file and returns its path.
func writePage(t *testing.T, res *Result) string {
	t.Helper()
	var html bytes.Buffer
	if err := res.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(f, html.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// The page explored as a user would, in a real browser: its script runs
// under the Content Security Policy with no console message; a click on
// an address shows its ban history; brushing the timeline selects a
// period and the bans table follows it; tables sort and filter; bars have
// tooltips with exact numbers; the page makes no network request beyond
// its own file (the browser's record, not an assumption); and the hostile
// user names of the traffic stay text everywhere, script or not.
func TestHTMLInteractive(t *testing.T) {
	res := hostileReport(t)
	url := "file://" + writePage(t, res)
	b := newBrowser(t, 1100)
	b.run(t, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("html.scripted")))

	// a click on an address: its ban history, in the page and in the panel
	ip := eval[string](t, b, `document.querySelector('#top-ips-0 summary[data-ip]').getAttribute('data-ip')`)
	b.run(t, chromedp.Click(chromedp.CSS(`#top-ips-0 summary[data-ip]`)), chromedp.WaitVisible(chromedp.CSS(`#address-0 ol.bans li`)))
	panel := eval[string](t, b, `document.getElementById('address-0').textContent`)
	open := eval[bool](t, b, `document.querySelector('#top-ips-0 details').open`)
	if !strings.Contains(panel, "Address "+ip) || !strings.Contains(panel, "sshd: ") || !open {
		t.Errorf("a click on %s: details open %v, panel %q", ip, open, panel)
	}

	// brushing the failures chart: the summary and the bans table follow
	rows := func() int { return eval[int](t, b, `document.getElementById('bans-sel-0').rows.length - 1`) }
	before := rows()
	// in view, as a user scrolls to it
	box := eval[struct{ X, Y, W, H float64 }](t, b, `(function(){var c=document.getElementById('fail-chart-0');c.scrollIntoView({block:'center'});var r=c.getBoundingClientRect();return {X:r.left,Y:r.top,W:r.width,H:r.height};})()`)
	y := box.Y + box.H/2
	x0, x1 := box.X+box.W*0.45, box.X+box.W*0.55
	b.run(t,
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x0, y),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x0, y, chromedp.Button("left")),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, (x0+x1)/2, y, chromedp.Button("left")),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x1, y, chromedp.Button("left")),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x1, y, chromedp.Button("left")))
	summary := eval[string](t, b, `document.getElementById('selection-0').textContent`)
	after := rows()
	zoomBars := eval[int](t, b, `document.querySelectorAll('#zoom-0 rect').length`)
	if !strings.HasPrefix(summary, "Selected ") || after >= before || zoomBars == 0 {
		t.Errorf("brushing: summary %q, bans table %d rows before, %d after, %d bars zoomed", summary, before, after, zoomBars)
	}
	// the top attackers follow: the selection's own, by the hours it
	// touches, never more failures than those hours have
	sel := eval[struct {
		Note     string
		Rows     int
		Sum, All int
	}](t, b, `(function(){var tb=document.getElementById('top-ips-0'), s=0, note=document.getElementById('top-ips-note-0');
for(var i=1;i<tb.rows.length;i++){s+=parseInt(tb.rows[i].cells[3].getAttribute('data-v'))}
var from=+note.getAttribute('data-from'), to=+note.getAttribute('data-to'), d=JSON.parse(document.getElementById('banscope-data').textContent).hosts[0], all=0;
d.fine.forEach(function(p){if(p[0]>=from&&p[0]<to){all+=p[1]}});
return {Note:note.textContent, Rows:tb.rows.length-1, Sum:s, All:all};})()`)
	if !strings.HasPrefix(sel.Note, "in the selected period") || sel.Rows == 0 || sel.Sum > sel.All || sel.All <= 0 {
		t.Errorf("top attackers in the selection: %+v", sel)
	}
	// so do the countries and the map: every failure of those hours is in
	// some country
	cs := eval[struct {
		Note     string
		Sum, Map int
	}](t, b, `(function(){var s=0, m=0;
Array.prototype.forEach.call(document.querySelectorAll('#countries-0 .v'), function(v){s+=parseInt(v.textContent)});
Array.prototype.forEach.call(document.querySelectorAll('#map-0 path'), function(p){if(/in the selection$/.test(p.getAttribute('data-tip'))){m++}});
return {Note: document.getElementById('countries-note-0').textContent, Sum: s, Map: m};})()`)
	if !strings.Contains(cs.Note, "selected period") || cs.Sum == 0 || cs.Sum > sel.All || cs.Map < 100 {
		t.Errorf("countries in the selection: %+v (the hours have %d failures)", cs, sel.All)
	}
	b.run(t, chromedp.Click(chromedp.CSS(`#reset-0`)))
	if n := rows(); n != before {
		t.Errorf("back to the whole period: %d rows, %d before", n, before)
	}
	if note := eval[string](t, b, `document.getElementById('top-ips-note-0').textContent`); !strings.HasPrefix(note, "the whole period") {
		t.Errorf("after the reset the top attackers are %q", note)
	}

	// sorting: descending, then ascending, by failures
	col := func() []int {
		return eval[[]int](t, b, `Array.prototype.slice.call(document.getElementById('top-ips-0').rows,1).map(function(r){return parseInt(r.cells[3].getAttribute('data-v'))})`)
	}
	b.run(t, chromedp.Click(chromedp.CSS(`#top-ips-0 tr:first-child th:nth-child(4)`)))
	desc := col()
	b.run(t, chromedp.Click(chromedp.CSS(`#top-ips-0 tr:first-child th:nth-child(4)`)))
	asc := col()
	if len(desc) < 10 || desc[0] < desc[len(desc)-1] || asc[0] > asc[len(asc)-1] {
		t.Errorf("sorting by failures: %v then %v", desc, asc)
	}

	// filtering the user names, typed, with a hostile name
	filter := `document.getElementById('users-0').closest('.scroll').previousElementSibling`
	b.run(t, chromedp.SendKeys(chromedp.JSPath(filter), "<script>"))
	shown := eval[[]string](t, b, `Array.prototype.slice.call(document.getElementById('users-0').rows,1).filter(function(r){return !r.hidden}).map(function(r){return r.cells[0].textContent})`)
	if len(shown) == 0 {
		t.Error("filtering the user names for <script> shows none")
	}
	for _, s := range shown {
		if !strings.Contains(s, "<script>") {
			t.Errorf("filtered for <script>, shown %q", s)
		}
	}

	// a tooltip with exact numbers over a bar
	bar := eval[struct{ X, Y float64 }](t, b, `(function(){var e=document.querySelector('#fail-chart-0 rect.bar');e.scrollIntoView({block:'center'});var r=e.getBoundingClientRect();return {X:r.left+r.width/2,Y:r.top+r.height/2};})()`)
	b.run(t, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, bar.X, bar.Y))
	tip := eval[string](t, b, `getComputedStyle(document.getElementById('tip')).display + ' ' + document.getElementById('tip').textContent`)
	if !strings.HasPrefix(tip, "block ") || !strings.Contains(tip, " failures") {
		t.Errorf("tooltip: %q", tip)
	}

	// the world map: the country with the most failures is coloured, and
	// its tooltip gives its name and exact numbers
	top := res.Hosts[0].Countries[0]
	if top.Country == "ZZ" {
		top = res.Hosts[0].Countries[1]
	}
	pt := eval[struct {
		X, Y float64
		Fill string
	}](t, b, fmt.Sprintf(`(function(){var p=document.querySelector('#map-0 path[data-country=%q]');p.scrollIntoView({block:'center'});
var svg=p.ownerSVGElement, bb=p.getBBox(), q=svg.createSVGPoint();
for(var i=1;i<40;i++){for(var j=1;j<40;j++){q.x=bb.x+bb.width*i/40;q.y=bb.y+bb.height*j/40;if(p.isPointInFill(q)){var s=q.matrixTransform(p.getScreenCTM());return {X:s.x,Y:s.y,Fill:p.getAttribute('fill')};}}}
return {X:-1,Y:-1,Fill:p.getAttribute('fill')};})()`, top.Country))
	b.run(t, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, pt.X, pt.Y))
	tip = eval[string](t, b, `document.getElementById('tip').textContent`)
	if want := fmt.Sprintf("%s %s: %d failures", top.Country, top.Name, top.Failures); !strings.HasPrefix(tip, want) || !strings.HasPrefix(pt.Fill, "rgb(") {
		t.Errorf("map: tooltip %q, want %q…; fill %q", tip, want, pt.Fill)
	}

	// hostile names stayed text: the page's two scripts, no image, no dialog
	scripts := eval[int](t, b, `document.scripts.length`)
	imgs := eval[int](t, b, `document.images.length`)
	b.mu.Lock()
	defer b.mu.Unlock()
	if scripts != 2 || imgs != 0 || b.dialogs != 0 {
		t.Errorf("%d scripts, %d images, %d dialogs: hostile text became markup", scripts, imgs, b.dialogs)
	}
	if len(b.console) > 0 {
		t.Errorf("console:\n%s", strings.Join(b.console, "\n"))
	}
	for _, r := range b.requests {
		if r != url {
			t.Errorf("the page requested %s", r)
		}
	}
	if len(b.requests) == 0 {
		t.Error("no request recorded: the record of requests does not work")
	}
}

// The browser's records can fail: a page that logs and breaks its policy
// is seen doing both, and one that fetches is seen fetching.
func TestBrowserRecordsCanFail(t *testing.T) {
	dir := t.TempDir()
	strict := filepath.Join(dir, "strict.html")
	os.WriteFile(strict, []byte(`<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'"></head>`+
		`<body><script>console.log("hello"); var i = new Image(); i.src = "http://127.0.0.1:9/x.png";</script></body></html>`), 0o644)
	open := filepath.Join(dir, "open.html")
	os.WriteFile(open, []byte(`<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/x.png"></body></html>`), 0o644)
	b := newBrowser(t, 600)
	b.run(t, chromedp.Navigate("file://"+strict), chromedp.Sleep(300*time.Millisecond))
	b.mu.Lock()
	n := len(b.console)
	b.mu.Unlock()
	if n < 2 {
		t.Errorf("console: %q, want the log and the blocked image", b.console)
	}
	b.run(t, chromedp.Navigate("file://"+open), chromedp.Sleep(300*time.Millisecond))
	b.mu.Lock()
	defer b.mu.Unlock()
	fetched := false
	for _, r := range b.requests {
		fetched = fetched || strings.HasPrefix(r, "http://127.0.0.1:9/")
	}
	if !fetched {
		t.Errorf("requests %q: the image fetch is not recorded", b.requests)
	}
}

// At phone width the page does not overflow sideways (wide tables scroll
// in their own box) and chart text stays readable; in the dark theme the
// page is dark, with light text, and empty map and heat-map cells follow
// it.
func TestHTMLPhoneAndDark(t *testing.T) {
	f := writePage(t, hostileReport(t))
	b := newBrowser(t, 600)
	// a phone's viewport (a headless window is at least 500 px wide)
	b.run(t, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: 390, Height: 844, DeviceScaleFactor: 1, Mobile: true})
		return err
	}), chromedp.Navigate("file://"+f), chromedp.WaitReady(chromedp.CSS("html.scripted")))
	phone := eval[struct {
		Scroll, Inner int
		Text          float64
	}](t, b, `({Scroll: document.documentElement.scrollWidth, Inner: window.innerWidth,
Text: document.querySelector('#fail-chart-0 text').getBoundingClientRect().height})`)
	t.Logf("at a 390 px viewport: %+v", phone)
	if phone.Inner != 390 || phone.Scroll > phone.Inner || phone.Text < 9 {
		t.Errorf("at 390 px: the page is %d px wide in a %d px window; chart text %.1f px high", phone.Scroll, phone.Inner, phone.Text)
	}
	b.run(t, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
		return err
	}))
	dark := eval[struct{ Bg, Fg, Map, Heat string }](t, b, `({Bg: getComputedStyle(document.body).backgroundColor, Fg: getComputedStyle(document.body).color,
Map: getComputedStyle(document.querySelector('#map-0 path:not([fill])')).fill, Heat: getComputedStyle(document.querySelector('rect.heat:not([fill])') || document.body).fill})`)
	lum := func(css string) float64 {
		var r, g, bl float64
		fmt.Sscanf(css, "rgb(%g, %g, %g)", &r, &g, &bl)
		return (0.2126*r + 0.7152*g + 0.0722*bl) / 255
	}
	if lum(dark.Bg) > 0.2 || lum(dark.Fg) < 0.7 || lum(dark.Map) > 0.3 {
		t.Errorf("dark theme: background %s, text %s, empty map countries %s, empty heat cells %s", dark.Bg, dark.Fg, dark.Map, dark.Heat)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.console) > 0 {
		t.Errorf("console:\n%s", strings.Join(b.console, "\n"))
	}
}
