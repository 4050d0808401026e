package jailsim

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/banscope/banscope/internal/ident"
)

// WriteJSON writes what json.Marshal writes, byte for byte, lists and all.
func TestSnapshotWriteJSON(t *testing.T) {
	id := ident.ParseID("203.0.113.7")
	s := Snapshot{Tickets: []TicketState{{ID: id, First: 1, Last: 2, Retry: 3}, {ID: ident.ParseID("2001:db8::1"), First: 4, Last: 5, Retry: 1, BanCount: 2, Window: []float64{4}}},
		Bans: []BanState{{ID: id, Start: 2, BanTime: 600, Seq: 1}}, TotalFailed: 4, TotalBanned: 1, Ignored: 1, Peak: 1, PeakAt: 2, NextSvc: 7.5, Lines: 9, BanSeq: 1}
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := s.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Fatalf("WriteJSON\n%s\njson.Marshal\n%s", b.String(), want)
	}
}
