package jailsim

import (
	"math"
	"math/rand/v2"
)

// Increment is bantime.increment and its options (server/observer.py: Observer.incrBanTime).
type Increment struct {
	Enabled      bool
	Factor       float64   // bantime.factor (default 1)
	Multipliers  []float64 // bantime.multipliers; replaces the formula when set
	MaxTime      float64   // bantime.maxtime (0: none)
	RndTime      float64   // bantime.rndtime (0: none); random, so outside exact comparison
	OverallJails bool      // bantime.overalljails
}

// banTime is fail2ban's evformula for the n-th ban (count = earlier bans).
func (in *Increment) banTime(t float64, count int) float64 {
	f := in.Factor
	if f == 0 {
		f = 1
	}
	var v float64
	if len(in.Multipliers) > 0 {
		i := count
		if i >= len(in.Multipliers) {
			i = len(in.Multipliers) - 1
		}
		v = t * f * in.Multipliers[i]
	} else {
		shift := count
		if shift > 20 {
			shift = 20
		}
		v = math.Max(t, t*float64(int64(1)<<shift)*f)
	}
	if in.MaxTime != 0 {
		v = math.Min(v, in.MaxTime)
	}
	if in.RndTime != 0 {
		v += rand.Float64() * in.RndTime
	}
	return v
}

// BanDB is what fail2ban's database remembers of past bans (its bips
// table): per address and jail, the last ban's time and bantime and the
// number of bans. Jails of one host share it; bantime.increment reads it.
type BanDB struct {
	ips       map[key]map[string]dbRec
	purgeAge  float64
	nextPurge float64
}

type dbRec struct {
	timeOfBan int64
	banTime   float64
	banCount  int
}

// NewBanDB returns an empty database that forgets bans as fail2ban's
// hourly purge does, with dbpurgeage purgeAge seconds (default 1d).
func NewBanDB(purgeAge float64) *BanDB {
	if purgeAge <= 0 {
		purgeAge = DefaultDBPurgeAge
	}
	return &BanDB{ips: map[key]map[string]dbRec{}, purgeAge: purgeAge}
}

// Tick runs the hourly purge (the observer's timer, first one hour after
// the start) when its time has come.
func (db *BanDB) Tick(now float64) {
	if db == nil {
		return
	}
	if db.nextPurge == 0 {
		db.nextPurge = now + 3600
		return
	}
	if now < db.nextPurge {
		return
	}
	db.nextPurge = now + 3600
	// DELETE FROM bips WHERE timeofban < now-age AND bantime != -1
	//   AND timeofban + bantime*3 < now-age
	limit := float64(int64(now)) - db.purgeAge
	for k, jails := range db.ips {
		for name, r := range jails {
			if float64(r.timeOfBan) < limit && r.banTime != -1 && float64(r.timeOfBan)+r.banTime*3 < limit {
				delete(jails, name)
			}
		}
		if len(jails) == 0 {
			delete(db.ips, k)
		}
	}
}

// get is Fail2BanDb.getBan: this jail's record, or with overall the sum of
// ban counts and the latest ban over all jails.
func (db *BanDB) get(k key, jail string, overall bool) (dbRec, bool) {
	jails := db.ips[k]
	if !overall {
		r, ok := jails[jail]
		return r, ok
	}
	var sum dbRec
	if len(jails) == 0 {
		return sum, false
	}
	for _, r := range jails {
		sum.banCount += r.banCount
		sum.banTime += r.banTime
		if r.timeOfBan > sum.timeOfBan {
			sum.timeOfBan = r.timeOfBan
		}
	}
	return sum, true
}

func (db *BanDB) put(k key, jail string, r dbRec) {
	jails := db.ips[k]
	if jails == nil {
		jails = map[string]dbRec{}
		db.ips[k] = jails
	}
	jails[jail] = r
}
