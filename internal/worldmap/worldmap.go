// Package worldmap is the world map of the HTML report: every country's
// outline as SVG path data in an equirectangular projection, from
// Natural Earth's public-domain 1:110m Admin 0 boundaries (through the
// npm package world-atlas), generated into shapes.go by scripts/worldmap.
package worldmap

import "sort"

// Codes are the countries on the map (ISO 3166-1 alpha-2), sorted.
func Codes() []string {
	out := make([]string, 0, len(shapes))
	for c := range shapes {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Path is a country's outline as SVG path data.
func Path(code string) (string, bool) {
	p, ok := shapes[code]
	return p, ok
}

// Attribution names the map's data, for the page.
const Attribution = "Map: Natural Earth (public domain), 1:110m countries, through world-atlas (ISC)"
