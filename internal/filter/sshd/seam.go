package sshd

import (
	"github.com/banscope/banscope/internal/filter"
)

func init() { filter.Register("sshd", newFilter) }

// newFilter makes the sshd filter of a jail's `filter = sshd[mode=...,
// publickey=...]` (filter.d/sshd.conf's options; others are the jail's
// and do not change the filter).
func newFilter(spec filter.Spec, o filter.Options) (filter.Filter, error) {
	mode, err := ParseMode(valueOr(spec.Params["mode"], "normal"))
	if err != nil {
		return nil, err
	}
	pk, err := ParsePublicKey(spec.Params["publickey"])
	if err != nil {
		return nil, err
	}
	return New(Options{Mode: mode, PublicKey: pk, Options: o}), nil
}

func valueOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

var _ filter.Filter = (*Parser)(nil)

// Spec implements filter.Filter.
func (p *Parser) Spec() filter.Spec {
	s := filter.Spec{Name: "sshd", Params: map[string]string{"mode": p.rs.mode.String()}}
	if p.rs.pk != PublicKeyNoFail {
		s.Params["publickey"] = PublicKeyName(p.rs.pk)
	}
	return s
}

// Input implements filter.Filter: sshd reads auth.log or the journal.
func (p *Parser) Input() filter.Input { return filter.InputLog }

// Rules implements filter.Filter.
func (p *Parser) Rules() filter.RuleSet { return p.rs.id }

// Kinds implements filter.Filter: one kind per failregex.
func (p *Parser) Kinds() []string { return kindNames[:] }

// PublicKeyName returns the publickey option's name.
func PublicKeyName(pk PublicKey) string {
	switch pk {
	case PublicKeyInvalid:
		return "invalid"
	case PublicKeyAny:
		return "any"
	case PublicKeyIgnore:
		return "ignore"
	}
	return "nofail"
}

// journalMatch is filter.d/sshd.conf's journalmatch of each release:
// 1.0.2 reads `_SYSTEMD_UNIT=sshd.service + _COMM=sshd` (on Debian, whose
// unit is ssh.service, only the second term matches, and OpenSSH >= 9.8's
// sshd-session entries are not read at all); 1.1.0-8 and 1.1.1 read
// `_SYSTEMD_UNIT=ssh.service + _COMM=sshd + _COMM=sshd-session`.
var (
	journalMatch102 = []string{"_SYSTEMD_UNIT=sshd.service", "+", "_COMM=sshd"}
	journalMatch11  = []string{"_SYSTEMD_UNIT=ssh.service", "+", "_COMM=sshd", "+", "_COMM=sshd-session"}
)

// JournalMatch implements filter.JournalMatcher: the release's own
// journalmatch.
func (p *Parser) JournalMatch() []string {
	if p.rs.d.v11() {
		return journalMatch11
	}
	return journalMatch102
}

// OptionsOf returns the filter options a parser was made with.
func OptionsOf(p *Parser) filter.Options { return p.opts.Options }
