package geo

// Name is the English name of a country code; Unknown is "not located",
// and a code without a name is itself.
func Name(code string) string {
	if code == Unknown {
		return "not located"
	}
	if n, ok := countryNames[code]; ok {
		return n
	}
	return code
}
