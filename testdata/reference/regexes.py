#!/usr/bin/env python3
"""Dump the sshd filter's expanded regexes, as fail2ban compiles them.

usage: regexes.py > sshd-regex-VERSION.tsv
(BANSCOPE_FAIL2BAN_ROOT names an unpacked fail2ban package; default: the
installed one)

One line per regex: <mode> <publickey> pref|fail <regex>, tab-separated,
for every mode and publickey option of filter.d/sshd.conf (logtype=file).
"""
import os, sys
root = os.environ.get('BANSCOPE_FAIL2BAN_ROOT', '/')
sys.path.insert(0, os.path.join(root, 'usr/lib/python3/dist-packages'))
from fail2ban.client.filterreader import FilterReader
from fail2ban.server.failregex import Regex

for mode in ('normal', 'ddos', 'extra', 'aggressive'):
    for pk in ('nofail', 'invalid', 'any', 'ignore'):
        r = FilterReader('sshd', 'sshd', {'mode': mode, 'publickey': pk, 'logtype': 'file'},
                         share_config={}, basedir=os.path.join(root, 'etc/fail2ban'))
        r.read(); r.applyAutoOptions('auto'); r.getOptions(None)
        pref, fails = None, []
        for cmd in r.convert():
            if cmd[2] == 'prefregex':
                pref = cmd[3]
            elif cmd[2] == 'addfailregex':
                fails += cmd[3] if cmd[0] == 'multi-set' else [cmd[3]]
        print('%s\t%s\tpref\t%s' % (mode, pk, Regex(pref).getRegex()))
        for f in fails:
            print('%s\t%s\tfail\t%s' % (mode, pk, Regex(f).getRegex()))
