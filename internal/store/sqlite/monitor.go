package sqlite

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/monitor"
)

// MonitorStore keeps the monitor's history: raw results packed in chunks,
// hourly roll-ups and state transitions.
type MonitorStore struct {
	db *DB
}

var _ monitor.Store = (*MonitorStore)(nil)

// NewMonitorStore returns the monitor's store on db.
func NewMonitorStore(db *DB) *MonitorStore { return &MonitorStore{db: db} }

// Chunk encoding: a sequence of records, one per result:
//
//	uvarint  milliseconds since the previous result (the first: since start_ms)
//	byte     status (low 2 bits) | 0x80 when a message follows
//	uvarint  latency in microseconds
//	[uvarint length, bytes]  message "de\x00en", only when flagged
//
// Messages are kept only for results that are not OK and whose message
// differs from the previous result's, which is what a person looks for in
// history; the latency numbers of OK results stay.
const msgFlag = 0x80

func encodeChunk(samples []monitor.Sample) (start, end int64, data []byte) {
	start = samples[0].At.UnixMilli()
	prev := start
	prevMsg := ""
	buf := make([]byte, 0, len(samples)*5)
	for _, s := range samples {
		at := s.At.UnixMilli()
		if at < prev {
			at = prev // clocks may step back; keep the chunk monotonic
		}
		buf = binary.AppendUvarint(buf, uint64(at-prev))
		prev = at
		msg := ""
		if s.Status != check.StatusOK && (s.Message != "" || s.MessageEN != "") {
			msg = s.Message + "\x00" + s.MessageEN
		}
		flag := byte(s.Status) & 0x03
		if msg != "" && msg != prevMsg {
			flag |= msgFlag
		}
		buf = append(buf, flag)
		lat := s.Latency.Microseconds()
		if lat < 0 {
			lat = 0
		}
		buf = binary.AppendUvarint(buf, uint64(lat))
		if flag&msgFlag != 0 {
			buf = binary.AppendUvarint(buf, uint64(len(msg)))
			buf = append(buf, msg...)
		}
		prevMsg = msg
	}
	return start, prev, buf
}

func decodeChunk(checkID string, start int64, data []byte) ([]monitor.Sample, error) {
	var out []monitor.Sample
	at := start
	msg := ""
	for len(data) > 0 {
		d, n := binary.Uvarint(data)
		if n <= 0 || len(data) < n+1 {
			return out, errors.New("corrupt result chunk")
		}
		data = data[n:]
		at += int64(d)
		flag := data[0]
		data = data[1:]
		lat, n := binary.Uvarint(data)
		if n <= 0 {
			return out, errors.New("corrupt result chunk")
		}
		data = data[n:]
		status := check.Status(flag & 0x03)
		if flag&msgFlag != 0 {
			l, n := binary.Uvarint(data)
			if n <= 0 || uint64(len(data)-n) < l {
				return out, errors.New("corrupt result chunk")
			}
			msg = string(data[n : n+int(l)])
			data = data[n+int(l):]
		}
		s := monitor.Sample{CheckID: checkID, At: time.UnixMilli(at).UTC(), Status: status, Latency: time.Duration(lat) * time.Microsecond}
		if status != check.StatusOK {
			s.Message, s.MessageEN, _ = strings.Cut(msg, "\x00")
		} else {
			msg = ""
		}
		out = append(out, s)
	}
	return out, nil
}

// SaveSamples stores the samples, one chunk per check, in one transaction.
func (s *MonitorStore) SaveSamples(ctx context.Context, samples []monitor.Sample) error {
	if len(samples) == 0 {
		return nil
	}
	by := map[string][]monitor.Sample{}
	for _, x := range samples {
		by[x.CheckID] = append(by[x.CheckID], x)
	}
	tx, err := s.db.W.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO check_chunks(check_id, start_ms, end_ms, n, data) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(check_id, start_ms) DO NOTHING`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for id, list := range by {
		sort.SliceStable(list, func(i, j int) bool { return list[i].At.Before(list[j].At) })
		start, end, data := encodeChunk(list)
		if _, err := stmt.ExecContext(ctx, id, start, end, len(list), data); err != nil {
			return fmt.Errorf("save results of %s: %w", id, err)
		}
	}
	return tx.Commit()
}

// SaveTransition records a state change.
func (s *MonitorStore) SaveTransition(ctx context.Context, t check.Transition) error {
	_, err := s.db.W.ExecContext(ctx, `INSERT INTO check_transitions(check_id, at, from_state, to_state, reason_de, reason_en)
		VALUES (?, ?, ?, ?, ?, ?)`, t.CheckID, ts(t.At), string(t.From), string(t.To), t.Reason.DE, t.Reason.EN)
	if err != nil {
		return fmt.Errorf("save transition of %s: %w", t.CheckID, err)
	}
	return nil
}

// LastStates returns the latest transition's state of every check.
func (s *MonitorStore) LastStates(ctx context.Context) (map[string]monitor.LastState, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT t.check_id, t.to_state, t.at FROM check_transitions t
		JOIN (SELECT check_id, MAX(id) AS id FROM check_transitions GROUP BY check_id) m ON m.id = t.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]monitor.LastState{}
	for rows.Next() {
		var id, st, at string
		if err := rows.Scan(&id, &st, &at); err != nil {
			return nil, err
		}
		out[id] = monitor.LastState{State: check.State(st), Since: parseTS(at)}
	}
	return out, rows.Err()
}

// Samples returns the raw results of a check since a time, oldest first.
func (s *MonitorStore) Samples(ctx context.Context, checkID string, since time.Time) ([]monitor.Sample, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT start_ms, data FROM check_chunks WHERE check_id = ? AND end_ms >= ? ORDER BY start_ms`,
		checkID, since.UnixMilli())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []monitor.Sample
	for rows.Next() {
		var start int64
		var data []byte
		if err := rows.Scan(&start, &data); err != nil {
			return nil, err
		}
		list, err := decodeChunk(checkID, start, data)
		if err != nil {
			return nil, fmt.Errorf("results of %s at %d: %w", checkID, start, err)
		}
		for _, x := range list {
			if !x.At.Before(since) {
				out = append(out, x)
			}
		}
	}
	return out, rows.Err()
}

// LatencyBuckets returns, per check, the average latency of every bucket of
// the given width since a time, keyed by bucket start. It seeds the
// dashboard's sparklines after a restart.
func (s *MonitorStore) LatencyBuckets(ctx context.Context, since time.Time, width time.Duration) (map[string]map[int64]time.Duration, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT check_id, start_ms, data FROM check_chunks WHERE end_ms >= ?`, since.UnixMilli())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type acc struct{ sum, n int64 }
	accs := map[string]map[int64]*acc{}
	for rows.Next() {
		var id string
		var start int64
		var data []byte
		if err := rows.Scan(&id, &start, &data); err != nil {
			return nil, err
		}
		list, err := decodeChunk(id, start, data)
		if err != nil {
			continue
		}
		m := accs[id]
		if m == nil {
			m = map[int64]*acc{}
			accs[id] = m
		}
		for _, x := range list {
			if x.At.Before(since) || x.Status == check.StatusFail || x.Status == check.StatusUnknown {
				continue
			}
			b := x.At.UnixMilli() / width.Milliseconds() * width.Milliseconds()
			a := m[b]
			if a == nil {
				a = &acc{}
				m[b] = a
			}
			a.sum += int64(x.Latency)
			a.n++
		}
	}
	out := map[string]map[int64]time.Duration{}
	for id, m := range accs {
		out[id] = map[int64]time.Duration{}
		for b, a := range m {
			out[id][b] = time.Duration(a.sum / a.n)
		}
	}
	return out, rows.Err()
}

// Rollups returns the hourly roll-ups of a check since a time, oldest first.
func (s *MonitorStore) Rollups(ctx context.Context, checkID string, since time.Time) ([]monitor.Rollup, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT hour_ms, n, n_ok, n_degraded, n_fail, latency_sum_us, latency_max_us
		FROM check_rollups WHERE check_id = ? AND hour_ms >= ? ORDER BY hour_ms`, checkID, since.Truncate(time.Hour).UnixMilli())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []monitor.Rollup
	for rows.Next() {
		var r monitor.Rollup
		var hour, sum, max int64
		if err := rows.Scan(&hour, &r.N, &r.NOK, &r.NDegraded, &r.NFail, &sum, &max); err != nil {
			return nil, err
		}
		r.CheckID = checkID
		r.Hour = time.UnixMilli(hour).UTC()
		if r.N > 0 {
			r.LatencyAvg = time.Duration(sum/int64(r.N)) * time.Microsecond
		}
		r.LatencyMax = time.Duration(max) * time.Microsecond
		out = append(out, r)
	}
	return out, rows.Err()
}

// Transitions returns the state changes of a check since a time, oldest first.
func (s *MonitorStore) Transitions(ctx context.Context, checkID string, since time.Time) ([]check.Transition, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT at, from_state, to_state, reason_de, reason_en FROM check_transitions
		WHERE check_id = ? AND at >= ? ORDER BY id`, checkID, ts(since))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []check.Transition
	for rows.Next() {
		var at, from, to, de, en string
		if err := rows.Scan(&at, &from, &to, &de, &en); err != nil {
			return nil, err
		}
		out = append(out, check.Transition{CheckID: checkID, At: parseTS(at), From: check.State(from), To: check.State(to), Reason: check.Msg(de, en)})
	}
	return out, rows.Err()
}

// Compact rolls chunks that ended before now-rawKeep into hourly roll-ups,
// deletes them, and deletes roll-ups and transitions older than
// now-rollupKeep. It works in batches so that it never blocks the writer
// for long.
func (s *MonitorStore) Compact(ctx context.Context, now time.Time, rawKeep, rollupKeep time.Duration) error {
	cutoff := now.Add(-rawKeep).UnixMilli()
	for {
		n, err := s.compactBatch(ctx, cutoff, 500)
		if err != nil {
			return err
		}
		if n < 500 {
			break
		}
	}
	old := now.Add(-rollupKeep)
	if _, err := s.db.W.ExecContext(ctx, `DELETE FROM check_rollups WHERE hour_ms < ?`, old.UnixMilli()); err != nil {
		return err
	}
	if _, err := s.db.W.ExecContext(ctx, `DELETE FROM check_transitions WHERE at < ?`, ts(old)); err != nil {
		return err
	}
	return nil
}

func (s *MonitorStore) compactBatch(ctx context.Context, cutoff int64, limit int) (int, error) {
	tx, err := s.db.W.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT check_id, start_ms, data FROM check_chunks WHERE end_ms < ? LIMIT ?`, cutoff, limit)
	if err != nil {
		return 0, err
	}
	type key struct {
		id   string
		hour int64
	}
	type agg struct{ n, ok, deg, fail, unk, sum, max int64 }
	aggs := map[key]*agg{}
	type chunkKey struct {
		id    string
		start int64
	}
	var done []chunkKey
	for rows.Next() {
		var id string
		var start int64
		var data []byte
		if err := rows.Scan(&id, &start, &data); err != nil {
			rows.Close()
			return 0, err
		}
		done = append(done, chunkKey{id, start})
		list, _ := decodeChunk(id, start, data) // a corrupt tail loses only itself
		for _, x := range list {
			k := key{id, x.At.Truncate(time.Hour).UnixMilli()}
			a := aggs[k]
			if a == nil {
				a = &agg{}
				aggs[k] = a
			}
			a.n++
			switch x.Status {
			case check.StatusOK:
				a.ok++
			case check.StatusDegraded:
				a.deg++
			case check.StatusFail:
				a.fail++
			default:
				a.unk++
			}
			us := x.Latency.Microseconds()
			a.sum += us
			if us > a.max {
				a.max = us
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for k, a := range aggs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO check_rollups(check_id, hour_ms, n, n_ok, n_degraded, n_fail, n_unknown, latency_sum_us, latency_max_us)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT(check_id, hour_ms) DO UPDATE SET n = n + excluded.n, n_ok = n_ok + excluded.n_ok,
				n_degraded = n_degraded + excluded.n_degraded, n_fail = n_fail + excluded.n_fail, n_unknown = n_unknown + excluded.n_unknown,
				latency_sum_us = latency_sum_us + excluded.latency_sum_us, latency_max_us = MAX(latency_max_us, excluded.latency_max_us)`,
			k.id, k.hour, a.n, a.ok, a.deg, a.fail, a.unk, a.sum, a.max); err != nil {
			return 0, err
		}
	}
	for _, c := range done {
		if _, err := tx.ExecContext(ctx, `DELETE FROM check_chunks WHERE check_id = ? AND start_ms = ?`, c.id, c.start); err != nil {
			return 0, err
		}
	}
	return len(done), tx.Commit()
}
