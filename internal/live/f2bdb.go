package live

import (
	"database/sql"
	"fmt"
	"net/url"

	"github.com/banscope/banscope/internal/ident"
	"github.com/banscope/banscope/internal/logtime"
	_ "modernc.org/sqlite" // fail2ban's database is SQLite
)

// restoreFromDB reads the bans fail2ban itself would restore at start
// (Jail.restoreCurrentBans): each simulated jail's bans from the database's
// bips table that have not ended by now, their stored ban time capped at
// the jail's current one (or bantime.maxtime with bantime.increment).
func (s *sidecar) restoreFromDB(path string) error {
	db, err := sql.Open("sqlite", "file:"+url.PathEscape(path)+"?mode=ro")
	if err != nil {
		return fmt.Errorf("fail2ban database %s: %w", path, err)
	}
	defer db.Close()
	now := logtime.FromTime(s.cfg.Now())
	total := 0
	for _, r := range s.eng.Jails() {
		set := r.Jail.Settings
		max := set.BanTime
		if set.Increment.Enabled {
			max = set.Increment.MaxTime
			if max == 0 {
				max = -1
			}
		}
		q := "SELECT ip, timeofban, bantime FROM bips WHERE jail = ? AND (timeofban + bantime > ? OR bantime <= -1)"
		args := []any{set.Name, int64(now)}
		if !set.Increment.Enabled && set.BanTime != -1 {
			q += " AND timeofban > ?"
			args = append(args, int64(now-set.BanTime))
		}
		rows, err := db.Query(q+" ORDER BY timeofban", args...)
		if err != nil {
			return fmt.Errorf("fail2ban database %s: %w", path, err)
		}
		for rows.Next() {
			var ip string
			var tob int64
			var bt float64
			if err := rows.Scan(&ip, &tob, &bt); err != nil {
				rows.Close()
				return fmt.Errorf("fail2ban database %s: %w", path, err)
			}
			if max != -1 && (bt == -1 || bt > max) {
				bt = max
			}
			if r.Sim.RestoreBan(ident.ParseID(ip), float64(tob), bt, now) {
				total++
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("fail2ban database %s: %w", path, err)
		}
	}
	s.cfg.Notice(fmt.Sprintf("restored %d ban(s) from fail2ban's database %s", total, path))
	return nil
}
