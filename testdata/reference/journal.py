#!/usr/bin/env python3
"""Reference verdicts from the real fail2ban's systemd backend.

usage: journal.py MODE JOURNALFILE [MATCH...]

Reads JOURNALFILE with fail2ban's own FilterSystemd (python3-systemd's
journal reader, the release's journalmatch given as MATCH words with "+"
for "or", as the jail would add them), turns each entry into fail2ban's
line with FilterSystemd.formatJournalEntry, and runs fail2ban's Filter
(server semantics: checkAllRegex=False, ignorePending=True; logtype=journal)
over it at the entry's own time, the clock being the latest entry time so
far. Prints one line per entry:

    <n> <verdict> <regex-index> <time-us> <id>[,<id>...] <line>

verdict is failure, helper, pending, unresolved or irrelevant
(BANSCOPE_FAIL2BAN_ROOT names an unpacked release; default: the installed one).
"""
import os, sys, logging, types, time as _time
F2B_ROOT = os.environ.get('BANSCOPE_FAIL2BAN_ROOT', '/')
sys.path.insert(0, os.path.join(F2B_ROOT, 'usr/lib/python3/dist-packages'))
sys.path.append('/usr/lib/python3/dist-packages')  # python3-systemd
from fail2ban.client.filterreader import FilterReader
from fail2ban.server.filtersystemd import FilterSystemd
from fail2ban.server.mytime import MyTime
from fail2ban.server import utils as f2butils
from fail2ban.helpers import getLogger

mode, path, matches = sys.argv[1], sys.argv[2], sys.argv[3:]
f2butils.time = types.SimpleNamespace(time=lambda: MyTime.time(), sleep=_time.sleep)

class Cap(logging.Handler):
    def __init__(s):
        logging.Handler.__init__(s)
        s.msgs = []
    def emit(s, r):
        s.msgs.append(r.getMessage())

cap = Cap()
lg = getLogger('fail2ban')
lg.addHandler(cap)
lg.propagate = False
lg.setLevel(logging.CRITICAL)

class Jail:
    name = 'sshd'
    database = None

r = FilterReader('sshd', 'sshd', {'mode': mode, 'publickey': 'nofail', 'logtype': 'journal'}, share_config={}, basedir=os.path.join(F2B_ROOT, 'etc/fail2ban'))
r.read(); r.applyAutoOptions('systemd'); r.getOptions(None)
f = FilterSystemd(Jail(), journalfiles=path)
f.setUseDns('warn')
f.checkFindTime = False
for cmd in r.convert():
    opt, val = cmd[2], cmd[3]
    if opt == 'prefregex': f.prefRegex = val
    elif opt == 'addfailregex':
        for v in (val if cmd[0] == 'multi-set' else [val]): f.addFailRegex(v)
    elif opt == 'maxlines': f.setMaxLines(val)
if matches:
    f.addJournalMatch(matches)

out = sys.stdout
clock = None
n = 0
for entry in f.getJournalReader():
    n += 1
    line, tm = f.formatJournalEntry(entry)
    if clock is None or tm > clock:
        clock = tm
    MyTime.setTime(clock)
    cap.msgs = []
    lg.setLevel(7)
    res = f.processLine(line, tm)
    lg.setLevel(logging.CRITICAL)
    rx = [int(x.split()[2].rstrip(':')) for x in cap.msgs if x.startswith('  Matched failregex ')]
    idx = rx[0] if rx else -1
    text = ''.join(line)
    if res:
        t = res[0][2]
        ids = ','.join(str(x[1]) for x in res)
        out.write('%d failure %d %d %s %s\n' % (n, idx, round(t * 1e6), ids, text))
        continue
    verdict = 'irrelevant'
    for x in cap.msgs:
        if x.startswith('Nofail by mlfid'):
            verdict = 'helper'; break
        if x.startswith('No failure-id by mlfid'):
            verdict = 'pending'; break
    else:
        if rx:
            verdict = 'unresolved'
    out.write('%d %s %d 0 - %s\n' % (n, verdict, idx, text))
