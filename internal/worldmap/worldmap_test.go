package worldmap

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/banscope/banscope/internal/geo"
)

// The map holds the world's countries, each a well-formed closed path
// inside the viewBox, keyed by a known ISO code.
func TestShapes(t *testing.T) {
	codes := Codes()
	if len(codes) < 170 {
		t.Fatalf("%d countries", len(codes))
	}
	f := strings.Fields(ViewBox)
	w, _ := strconv.Atoi(f[2])
	h, _ := strconv.Atoi(f[3])
	cmd := regexp.MustCompile(`^(?:(?:M|L)-?\d+ -?\d+)+Z(?:(?:M|L)-?\d+ -?\d+|Z)*$`)
	num := regexp.MustCompile(`(?:M|L)(-?\d+) (-?\d+)`)
	for _, c := range codes {
		if geo.Name(c) == c {
			t.Errorf("%s: not a country code", c)
		}
		p, _ := Path(c)
		if !cmd.MatchString(p) || !strings.HasSuffix(p, "Z") {
			t.Errorf("%s: path %.60q…", c, p)
		}
		for _, m := range num.FindAllStringSubmatch(p, -1) {
			x, _ := strconv.Atoi(m[1])
			y, _ := strconv.Atoi(m[2])
			if x < 0 || x > w || y < 0 || y > h {
				t.Errorf("%s: point %d,%d outside %s", c, x, y, ViewBox)
				break
			}
		}
	}
	for _, c := range []string{"US", "DE", "CN", "BR", "RU", "IN", "AU", "XK"} {
		if _, ok := Path(c); !ok {
			t.Errorf("no %s", c)
		}
	}
	if _, ok := Path("AQ"); ok {
		t.Error("Antarctica is left out")
	}
}
