#!/usr/bin/env python3
"""Reference verdicts from the real fail2ban (Debian package), server semantics.

usage: verdicts.py MODE PUBLICKEY REFTIME LOGFILE [LOGTYPE]

Drives fail2ban's own Filter (checkAllRegex=False, ignorePending=True, as in
fail2ban-server) over LOGFILE and prints one line per log line:

    <lineno> <verdict> <regex-index> <time-us> <id>[,<id>...]

verdict is failure, helper, pending, unresolved or irrelevant. The time model
is banscope's `check`: year-less stamps take their year from REFTIME (Unix
seconds); the clock is the largest stamp so far; the session cache
(Utils.Cache) runs on that clock; a failure without a stamp of its own takes
fail2ban's choice (the last stamp if under 60 s old, else the clock).
"""
import sys, logging, types, time as _time
import os
F2B_ROOT = os.environ.get('BANSCOPE_FAIL2BAN_ROOT', '/')  # an unpacked release, default the installed one
sys.path.insert(0, os.path.join(F2B_ROOT, 'usr/lib/python3/dist-packages'))
from fail2ban.client.filterreader import FilterReader
from fail2ban.server.filter import Filter
from fail2ban.server.mytime import MyTime
from fail2ban.server import utils as f2butils
from fail2ban.helpers import getLogger

mode, pubkey, reftime, path = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
logtype = sys.argv[5] if len(sys.argv) > 5 else 'file'

# Utils.Cache reads time.time(): point it at fail2ban's (fake) clock.
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

r = FilterReader('sshd', 'sshd', {'mode': mode, 'publickey': pubkey, 'logtype': logtype}, share_config={}, basedir=os.path.join(F2B_ROOT, 'etc/fail2ban'))
r.read(); r.applyAutoOptions('auto'); r.getOptions(None)
f = Filter(None)
f.setUseDns('warn')
f.checkFindTime = False
for cmd in r.convert():
    opt, val = cmd[2], cmd[3]
    if opt == 'prefregex': f.prefRegex = val
    elif opt == 'addfailregex':
        for v in (val if cmd[0] == 'multi-set' else [val]): f.addFailRegex(v)
    elif opt == 'maxlines': f.setMaxLines(val)
    elif opt == 'datepattern': f.setDatePattern(val)

dd = f.dateDetector
clock = None
out = sys.stdout
with open(path, 'rb') as fh:
    data = fh.read()
lines = data.split(b'\n')
if lines and lines[-1] == b'':
    lines.pop()
elif lines:
    lines.pop()   # an unterminated last line is not read
for n, b in enumerate(lines, 1):
    try:
        line = b.decode('utf-8', 'strict')
    except UnicodeDecodeError:
        line = b.decode('utf-8', 'replace')
    line = line.rstrip('\r\n')
    MyTime.setTime(reftime)
    tm = dd.matchTime(line)
    m = tm[0]
    date = None
    arg = line
    if m and m.group(1):
        s, e = m.start(1), m.end(1)
        d = dd.getTime(line[s:e], tm)
        if d is not None:
            date = d[0]
            arg = (line[:s], line[s:e], line[e:])
            if clock is None or date > clock:
                clock = date
    MyTime.setTime(clock if clock is not None else 0)
    cap.msgs = []
    lg.setLevel(7)
    res = f.processLine(arg, date) if date is not None else f.processLine(arg)
    lg.setLevel(logging.CRITICAL)
    rx = [int(x.split()[2].rstrip(':')) for x in cap.msgs if x.startswith('  Matched failregex ')]
    idx = rx[0] if rx else -1
    if res:
        t = res[0][2]
        if t is None:
            t = MyTime.time()
        ids = ','.join(str(x[1]) for x in res)
        out.write('%d failure %d %d %s\n' % (n, idx, round(t * 1e6), ids))
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
    out.write('%d %s %d 0 -\n' % (n, verdict, idx))
