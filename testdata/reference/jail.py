#!/usr/bin/env python3
"""Reference jail run with the real fail2ban (Debian package).

usage: jail.py CONFDIR JAIL LOGFILE REFTIME [journal]

With "journal", LOGFILE is a journal file that the jail's own systemd
backend reads (the jail's backend must be systemd[journalfiles=LOGFILE]):
its FilterSystemd applies the jail's journalmatch and formatJournalEntry,
and each entry is processed at its own time.

Drives fail2ban's own Filter, FailManager, Actions and BanManager, without
threads, sockets or a database, under banscope's replay time model:
fail2ban's clock (MyTime) is the largest stamp so far (year-less stamps take
their year from REFTIME, Unix seconds); before each line expired bans are
lifted and Filter.performSvc is attempted (its own 5 s throttle does the
rest); the line goes through Filter.processLineAndAdd (which also runs
performSvc after bans and every 100 lines); then the actions' __checkBan
runs; after the last line one forced performSvc. Utils.Cache (the session
cache) runs on the same clock.

Prints "ban <ip> <time-us>" for every new ban (the time of the failure that
triggered it), "unban <ip> <time-us>" for every unban (the first whole second
after the end of the ban; unbans lifted together are sorted by end), and
a final "status <currently failed> <total failed> <currently banned> <total
banned> <banned ips sorted, comma-separated>".
"""
import sys, math, logging, types, time as _time
import os
F2B_ROOT = os.environ.get('BANSCOPE_FAIL2BAN_ROOT', '/')  # an unpacked release, default the installed one
sys.path.insert(0, os.path.join(F2B_ROOT, 'usr/lib/python3/dist-packages'))
from fail2ban.client.jailsreader import JailsReader
from fail2ban.server.server import Server
from fail2ban.server.mytime import MyTime
from fail2ban.server import utils as f2butils
from fail2ban.server.banmanager import BanManager
from fail2ban.helpers import getLogger

confdir, jailname, logfile, reftime = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
journal = len(sys.argv) > 5 and sys.argv[5] == 'journal'
if journal:
    sys.path.append('/usr/lib/python3/dist-packages')  # python3-systemd
f2butils.time = types.SimpleNamespace(time=lambda: MyTime.time(), sleep=_time.sleep)
lg = getLogger('fail2ban')
lg.setLevel(logging.CRITICAL)
lg.propagate = False

jr = JailsReader(basedir=confdir)
jr.read()
if not jr.getOptions(jailname):
    sys.exit('cannot read jail %s' % jailname)
stream = jr.convert(allow_no_files=True)
srv = Server()
# bantime.increment needs the database: one in memory, as fail2ban would
# open its sqlite file.
srv.setDatabase(':memory:')
tr = srv._Server__transm
for cmd in stream:
    if cmd[0] == 'start' or (cmd[0] == 'set' and cmd[1] in (
            'syslogsocket', 'loglevel', 'logtarget', 'dbfile', 'dbmaxmatches', 'dbpurgeage', 'allowipv6')):
        continue
    if len(cmd) > 2 and (cmd[2] == 'addlogpath' or cmd[2] == 'addjournalmatch' and not journal):
        continue
    rc, ret = tr.proceed(cmd)
    if rc:
        sys.exit('command failed: %r: %r' % (cmd, ret))
jail = srv._Server__jails[jailname]
flt = jail.filter
act = jail.actions
bm = act.banManager
flt.inOperation = True
out = []

# The observer (bantime.increment) runs synchronously, at the moment the
# daemon queues its work: failureFound right after a failure is added,
# banFound right after a ban. Its timers (prolongBan re-runs actions) do
# not change the ban list and are not started.
from fail2ban.server.observer import Observers, ObserverThread
db = srv._Server__db
increment = bool(jail.getBanTimeExtra('increment'))
if increment:
    obs = ObserverThread()
    obs.add_timer = lambda *a, **k: None
    obs.add_named_timer = lambda *a, **k: None
    class SyncObserver:
        def add(self, name, *args):
            getattr(obs, name)(*args)
        def __getattr__(self, name):
            return getattr(obs, name)
    Observers.Main = SyncObserver()
    jail.isAlive = lambda: True
next_purge = None

orig_add = BanManager.addBanTicket
def add_ban(self, ticket, reason={}):
    ok = orig_add(self, ticket, reason)
    if ok:
        out.append('ban %s %d' % (ticket.getID(), round(ticket.getTime() * 1e6)))
    return ok
BanManager.addBanTicket = add_ban

orig_unban_list = BanManager.unBanList
def unban_list(self, t, maxCount=0x7fffffff):
    lst = orig_unban_list(self, t, maxCount)
    ends = sorted(((tk.getEndOfBanTime(self.getBanTime()), i, tk) for i, tk in enumerate(lst)), key=lambda x: (x[0], x[1]))
    for eob, _, tk in ends:
        out.append('unban %s %d' % (tk.getID(), (math.floor(eob) + 1) * 1000000))
    return lst
BanManager.unBanList = unban_list

def step(clock):
    """Before a line: the clock, the observer's hourly database purge
    (first one hour after start), expired bans lifted, the filter's
    service."""
    global next_purge
    MyTime.setTime(clock)
    if increment:
        if next_purge is None:
            next_purge = clock + 3600
        elif clock >= next_purge:
            db.purge()
            next_purge = clock + 3600
    while act._Actions__checkUnBan(1 << 30):
        pass
    flt.performSvc()

dd = flt.dateDetector
clock = 0.0
if journal:
    reader = flt.getJournalReader()
    reader.seek_head()
    for entry in reader:
        line, tm = flt.formatJournalEntry(entry)
        if tm > clock:
            clock = tm
        step(clock)
        flt.processLineAndAdd(line, tm)
        while act._Actions__checkBan():
            pass
    lines = []
else:
    with open(logfile, 'rb') as fh:
        data = fh.read()
    lines = data.split(b'\n')
    lines.pop()  # after the last newline: nothing, or an unterminated line fail2ban does not read
for b in lines:
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
            if date > clock:
                clock = date
    step(clock)
    if date is not None:
        flt.processLineAndAdd(arg, date)
    else:
        flt.processLineAndAdd(arg)
    while act._Actions__checkBan():
        pass
    if len(out) > 1000:
        sys.stdout.write('\n'.join(out) + '\n'); out.clear()
flt.performSvc(force=True)
st = dict(flt.status()) | dict(act.status())
out.append('status %d %d %d %d %s' % (st['Currently failed'], st['Total failed'], st['Currently banned'],
    st['Total banned'], ','.join(sorted(str(x) for x in st['Banned IP list'])) or '-'))
sys.stdout.write('\n'.join(out) + '\n')
