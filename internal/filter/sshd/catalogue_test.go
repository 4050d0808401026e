package sshd

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/banscope/banscope/internal/f2bversion"
	"github.com/banscope/banscope/internal/filter"
)

// TestCatalogue covers every failregex of filter.d/sshd.conf with its
// message variants, each line alone in a fresh parser, in the four modes. Codes:
// F failure (with want's address), N helper (nofail), P pending, - no match.
func TestCatalogue(t *testing.T) {
	tests := []struct {
		name, msg string
		modes     string // normal, ddos, extra, aggressive
		ip        string
	}{
		{"01 pam auth failure", "error: PAM: Authentication failure for myhlj1374 from 192.0.2.6", "FFFF", "192.0.2.6"},
		{"01 pam via", "error: PAM: authentication error for james from 205.186.180.101 via 192.168.1.201", "FFFF", "205.186.180.101"},
		{"02 user not known", "error: PAM: User not known to the underlying authentication module for illegal user kernelitshell from 10.215.4.227", "FFFF", "10.215.4.227"},
		{"03 failed invalid user", "Failed password for invalid user ROOT from 194.117.26.69 port 50273 ssh2", "FFFF", "194.117.26.69"},
		{"04 failed password", "Failed password for root from 192.0.2.9 port 22 ssh2", "FFFF", "192.0.2.9"},
		{"04 keyboard-interactive/pam", "Failed keyboard-interactive/pam for invalid user jamedds from 205.186.180.77 port 33723 ssh2", "FFFF", "205.186.180.77"},
		{"05 solaris", "[ID 800047 auth.info] Failed keyboard-interactive for <invalid username> from 205.186.180.55 port 42742 ssh2", "FFFF", "205.186.180.55"},
		{"06 publickey invalid user", "Failed publickey for invalid user graysky from 127.0.0.1 port 37954 ssh2: RSA SHA256:x", "FFFF", "127.0.0.1"},
		{"07 publickey valid user", "Failed publickey for git from 192.0.2.1 port 57904 ssh2: ECDSA 0e:ff", "NNNN", ""},
		{"08 root login refused", "ROOT LOGIN REFUSED FROM 1.2.3.4 port 12345 [preauth]", "FFFF", "1.2.3.4"},
		{"08 root login refused mapped", "ROOT LOGIN REFUSED FROM ::ffff:1.2.3.4", "FFFF", "1.2.3.4"},
		{"09 invalid user", "Invalid user ftp from 192.0.2.2 port 37220", "FFFF", "192.0.2.2"},
		{"09 illegal user", "Illegal user ftp from 192.0.2.3", "FFFF", "192.0.2.3"},
		{"09 empty user", "Invalid user  from 192.0.2.68 port 34916", "FFFF", "192.0.2.68"},
		{"10 allowusers", "User root from 211.188.220.49 not allowed because not listed in AllowUsers", "FFFF", "211.188.220.49"},
		{"10 denyusers", "User root from 46.45.128.3 not allowed because listed in DenyUsers", "FFFF", "46.45.128.3"},
		{"10 no group", "User allena from 10.0.0.41 not allowed because not in any group", "FFFF", "10.0.0.41"},
		{"10 denygroups", "User root from 192.51.100.54 not allowed because a group is listed in DenyGroups", "FFFF", "192.51.100.54"},
		{"10 allowgroups", "User root from 10.0.0.40 not allowed because none of user's groups are listed in AllowGroups", "FFFF", "10.0.0.40"},
		{"11 tcp wrappers", "refused connect from host.example (::ffff:218.249.210.161)", "FFFF", "218.249.210.161"},
		{"12 jsch auth fail", "Received disconnect from 89.24.13.192: 3: com.jcraft.jsch.JSchException: Auth fail [preauth]", "FFFF", "89.24.13.192"},
		{"12 jsch auth fail port", "Received disconnect from 89.24.13.192 port 7736:3: com.jcraft.jsch.JSchException: Auth fail [preauth]", "FFFF", "89.24.13.192"},
		{"13 pam_unix", "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.112  user=root", "NNNN", ""},
		{"14 max auth attempts", "error: maximum authentication attempts exceeded for root from 61.0.0.1 port 49940 ssh2 [preauth]", "FFFF", "61.0.0.1"},
		{"15 account locked", "User root not allowed because account is locked", "PPPP", ""},
		{"16 change of username", "Disconnecting invalid user admin 192.0.2.117 port 44004: Change of username or service not allowed: (admin,ssh-connection) -> (user,ssh-connection) [preauth]", "FFFF", "192.0.2.117"},
		{"17 too many auth failures", "Disconnecting: Too many authentication failures for git [preauth]", "PPPP", ""},
		{"18 disconnect 11", "error: Received disconnect from 198.51.100.34: 11: Bye Bye [preauth]", "NNNN", ""},
		{"19 connection closed", "Connection closed by 192.0.2.5", "NN-N", ""},
		{"20 connection closed preauth", "Connection closed by 192.0.2.212 [preauth]", "NF-F", "192.0.2.212"},
		{"20 connection reset preauth", "Connection reset by 192.0.2.39 port 14282 [preauth]", "NF-F", "192.0.2.39"},
		{"21 closed authenticating user", "Connection closed by authenticating user root 192.0.2.10 port 46038 [preauth]", "NF-F", "192.0.2.10"},
		{"21 closed invalid user", "Connection closed by invalid user admin 192.0.2.68 port 34916 [preauth]", "NF-F", "192.0.2.68"},
		{"22 disconnected authenticating user", "Disconnected from authenticating user root 192.0.2.6 port 33553 [preauth]", "NFFF", "192.0.2.6"},
		{"23 disconnected from", "Disconnected from 192.0.2.4 port 36985 [preauth]", "NF-F", "192.0.2.4"},
		{"24 accepted", "Accepted password for rda from 192.0.2.113 port 52100 ssh2", "NNNN", ""},
		{"25 connection from", "Connection from 192.0.2.5 port 35836 on 192.0.2.8 port 22", "NNNN", ""},
		{"26 no identification", "Did not receive identification string from 69.61.56.114", "-F-F", "69.61.56.114"},
		{"27 kex identification", "error: kex_exchange_identification: client sent invalid protocol identifier \"\"", "-P-P", ""},
		{"27 kex reset", "error: kex_exchange_identification: read: Connection reset by peer", "-P-P", ""},
		{"28 bad protocol", "Bad protocol version identification 'dummy string' from 69.61.56.115 port 31778", "-F-F", "69.61.56.115"},
		{"29 ssh server ltype", "SSH: Server;Ltype: Version;Remote: 127.0.0.1-1780;Protocol: 2.0;Client: libssh2_1.4.3", "-N-N", ""},
		{"30 read from socket", "fatal: Read from socket failed: Connection reset by peer [preauth]", "-P-P", ""},
		{"31 banner exchange", "banner exchange: Connection from 192.0.2.12 port 44105: invalid format", "-F-F", "192.0.2.12"},
		{"32 no auth methods", "Received disconnect from 127.0.0.1: 14: No supported authentication methods available [preauth]", "--FF", "127.0.0.1"},
		{"33 negotiate with", "Unable to negotiate with 192.0.2.1 port 55419: no matching cipher found. Their offer: x", "--FF", "192.0.2.1"},
		{"34 negotiate a", "fatal: Unable to negotiate a key exchange method [preauth]", "--PP", ""},
		{"35 no matching", "fatal: no matching mac found: client hmac-xxx [preauth]", "--PP", ""},
		{"36 possible break-in", "Address 1.2.3.4 maps to x.example, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!", "----", ""},
		{"37 userauth request", "input_userauth_request: invalid user root [preauth]", "----", ""},
		{"37 session opened", "pam_unix(sshd:session): session opened for user rda by (uid=0)", "----", ""},
		{"38 timeout", "Timeout before authentication for 203.0.113.21 port 22", "----", ""},
	}
	codes := map[filter.Verdict]byte{Failure: 'F', Helper: 'N', Pending: 'P', Irrelevant: '-'}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for m := ModeNormal; m <= ModeAggressive; m++ {
				p := New(Options{Mode: m, Options: filter.Options{Location: time.UTC, Reference: refTime, LogClock: true, Fail2ban: f2bversion.V1_0_2}})
				ev := p.Parse([]byte("Nov 27 10:00:01 host sshd[1234]: " + tt.msg))
				got := codes[ev.Verdict]
				if want := tt.modes[m]; got != want {
					t.Errorf("mode %s: verdict %c, want %c", m, got, want)
					continue
				}
				if got == 'F' && (len(ev.IDs) != 1 || ev.IDs[0].String() != tt.ip) {
					t.Errorf("mode %s: IDs %v, want %s", m, ev.IDs, tt.ip)
				}
			}
		})
	}
}

// Attacker-controlled user names never move a failure to another address.
func TestInjection(t *testing.T) {
	tests := []struct{ msg, want string }{
		{"Failed password for invalid user root from 1.2.3.4 from 203.0.113.1 port 22 ssh2", "203.0.113.1"},
		{"Failed password for invalid user x from 1.2.3.4 port 22 ssh2 from 203.0.113.2 port 5555 ssh2", "203.0.113.2"},
		{"Failed password for root from 203.0.113.3 port 22 ssh2: from 1.2.3.4", "203.0.113.3"},
		{"Invalid user a from 1.2.3.4 from 203.0.113.4 port 22", "203.0.113.4"},
		{"Failed password for invalid user a b c from 203.0.113.5 port 22 ssh2", "203.0.113.5"},
		{"User x from 203.0.113.39 from 198.51.100.39 not allowed because not listed in AllowUsers", "198.51.100.39"},
		{"Failed password for invalid user a: from 1.2.3.4 from 198.51.100.31 port 22 ssh2", ""},
		{"Failed password for invalid user x port 22 ssh2: from 203.0.113.33 from 198.51.100.33 port 22 ssh2", ""},
		{"Disconnecting invalid user x 203.0.113.38 198.51.100.38 port 22: Change of username or service not allowed: (a,b) -> (c,d) [preauth]", ""},
	}
	for _, tt := range tests {
		p := New(Options{Options: filter.Options{Location: time.UTC, Reference: refTime, LogClock: true}})
		ev := p.Parse([]byte("Nov 27 10:00:01 host sshd[1]: " + tt.msg))
		got := ""
		if ev.Verdict == Failure {
			got = ev.IDs[0].String()
		}
		if got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.msg, got, tt.want)
		}
	}
}

// releaseDifferences are lines on which the releases' filter.d/sshd.conf
// and server/ipdns.py's IP_6_RE (1.0.2 -> 1.1.0 -> 1.1.1) can disagree,
// with each real release's verdicts in the four modes (normal, ddos,
// extra, aggressive; codes as in TestCatalogue, U unresolved) and the
// address counted. The differential test runs the real releases on these
// lines too (corpus release-differences).
var releaseDifferences = []struct {
	name, line       string
	v102, v110, v111 string
	ip               string
}{
	{"_daemon sshd-session", "sshd-session[7]: Failed password for root from 192.0.2.1 port 22 ssh2", "----", "FFFF", "FFFF", "192.0.2.1"},
	{"auth failure without from", "sshd[7]: error: PAM: Authentication failure for root 192.0.2.2", "----", "FFFF", "FFFF", "192.0.2.2"},
	{"auth failure, two addresses", "sshd[7]: error: PAM: Authentication failure for a from 192.0.2.3 from 192.0.2.4", "FFFF", "FFFF", "FFFF", "192.0.2.4"},
	{"user not known without from", "sshd[7]: error: PAM: User not known to the underlying authentication module for x 192.0.2.5", "----", "FFFF", "FFFF", "192.0.2.5"},
	{"invalid user without from", "sshd[7]: Invalid user admin 192.0.2.6 port 22", "----", "FFFF", "FFFF", "192.0.2.6"},
	{"not allowed without from", "sshd[7]: User root 192.0.2.7 not allowed because listed in DenyUsers", "----", "FFFF", "FFFF", "192.0.2.7"},
	{"max attempts invalid user", "sshd[7]: error: maximum authentication attempts exceeded for invalid user admin from 192.0.2.8 port 22 ssh2 [preauth]", "FFFF", "FFFF", "FFFF", "192.0.2.8"},
	{"max attempts without from", "sshd[7]: error: maximum authentication attempts exceeded for root 192.0.2.9 port 22 ssh2 [preauth]", "----", "FFFF", "FFFF", "192.0.2.9"},
	{"disconnecting authenticating user", "sshd[7]: Disconnecting authenticating user root 192.0.2.10 port 22: Change of username or service not allowed: (a,b) -> (c,d) [preauth]", "FFFF", "FFFF", "FFFF", "192.0.2.10"},
	{"disconnecting too many", "sshd[7]: Disconnecting authenticating user root 192.0.2.11 port 22: Too many authentication failures [preauth]", "----", "----", "----", ""},
	{"disconnecting with reason", "sshd[7]: Disconnecting invalid user admin 192.0.2.12 port 22: oops [preauth]", "----", "NF-F", "NF-F", "192.0.2.12"},
	{"disconnected with reason", "sshd[7]: Disconnected from invalid user admin 192.0.2.13 port 22: oops", "NN-N", "NN-N", "NN-N", ""},
	{"closed address only", "sshd[7]: Connection closed by example.org port 22 [preauth]", "NU-U", "----", "----", ""},
	{"timeout before authentication", "sshd[7]: Timeout before authentication for 192.0.2.14 port 22", "----", "-F-F", "-F-F", "192.0.2.14"},
	{"timeout, OpenSSH 9.8 listener", "sshd[7]: Timeout before authentication for connection from 192.0.2.15 to 10.0.0.1, pid = 1234", "----", "-U-U", "-F-F", "192.0.2.15"},
	{"bad protocol anchored", "sshd[7]: Bad protocol version identification 'x' from 192.0.2.16 port 22 trailing", "-F-F", "----", "----", "192.0.2.16"},
	{"bad protocol without from", "sshd[7]: Bad protocol version identification 'x' 192.0.2.17 port 22", "----", "-F-F", "-F-F", "192.0.2.17"},
	{"dispatch mac incorrect", "sshd[7]: ssh_dispatch_run_fatal: Connection from 192.0.2.18 port 22: message authentication code incorrect [preauth]", "----", "-F-F", "-F-F", "192.0.2.18"},
	{"dispatch corrupted", "sshd[7]: ssh_dispatch_run_fatal: Connection from 192.0.2.19 port 22: Connection corrupted [preauth]", "----", "-F-F", "-F-F", "192.0.2.19"},
	{"extra disconnected without from", "sshd[7]: Disconnected from invalid user admin from 192.0.2.20 port 22 [preauth]", "NFFF", "NFFF", "NFFF", "192.0.2.20"},
	{"disconnecting, empty reason", "sshd[7]: Disconnecting invalid user admin 192.0.2.21 port 22: ", "----", "NN-N", "NN-N", ""},
	{"ip6 lone colon group", "sshd[7]: Invalid user u from :1:2 port 22", "----", "FFFF", "FFFF", ":1:2"},
}

// releaseLine is entry i of releaseDifferences as a log line, each with a
// process of its own (no two share a session).
func releaseLine(i int) string {
	return "Nov 27 10:00:01 host " + strings.Replace(releaseDifferences[i].line, "[7]", fmt.Sprintf("[%d]", 101+i), 1)
}

// TestReleaseDifferences checks each entry of releaseDifferences.
func TestReleaseDifferences(t *testing.T) {
	codes := map[filter.Verdict]byte{Failure: 'F', Helper: 'N', Pending: 'P', Irrelevant: '-', Unresolved: 'U'}
	for i, tt := range releaseDifferences {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range f2bversion.All() {
				want := [...]string{tt.v102, tt.v110, tt.v111}[k]
				got := make([]byte, 4)
				for m := ModeNormal; m <= ModeAggressive; m++ {
					p := New(Options{Mode: m, Options: filter.Options{Location: time.UTC, Reference: refTime, LogClock: true, Fail2ban: v}})
					ev := p.Parse([]byte(releaseLine(i)))
					got[m] = codes[ev.Verdict]
					if got[m] == 'F' && (len(ev.IDs) != 1 || ev.IDs[0].String() != tt.ip) {
						t.Errorf("fail2ban %s mode %s: IDs %v, want %s", v, m, ev.IDs, tt.ip)
					}
				}
				if string(got) != want {
					t.Errorf("fail2ban %s: verdicts %s, want %s", v, got, want)
				}
			}
		})
	}
}
