package sqlstore

import (
	"context"
	"fmt"

	"github.com/lifeline-project/lifeline/internal/fleet"
)

// AddAudit appends an entry to the audit log.
func (s *Store) AddAudit(ctx context.Context, e fleet.AuditEntry) error {
	if _, err := s.exec(ctx, s.W, `INSERT INTO audit(at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)`,
		s.t(e.At), e.Actor, e.Action, e.Target, e.Detail); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// Audit returns audit entries, newest first.
func (s *Store) Audit(ctx context.Context, target string, limit int) ([]fleet.AuditEntry, error) {
	limit = clampLimit(limit, 100, 10000)
	query, args := `SELECT id, at, actor, action, target, detail FROM audit ORDER BY id DESC LIMIT ?`, []any{limit}
	if target != "" {
		query, args = `SELECT id, at, actor, action, target, detail FROM audit WHERE target = ? ORDER BY id DESC LIMIT ?`, []any{target, limit}
	}
	rows, err := s.R.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	var out []fleet.AuditEntry
	for rows.Next() {
		var e fleet.AuditEntry
		var at nt
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &e.Detail); err != nil {
			return nil, fmt.Errorf("read audit log: %w", err)
		}
		e.At = at.T
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return out, nil
}

// TUFFile returns a stored TUF metadata file.
func (s *Store) TUFFile(ctx context.Context, name string) ([]byte, error) {
	var data []byte
	err := s.R.QueryRowContext(ctx, s.q(`SELECT data FROM tuf_files WHERE name = ?`), name).Scan(&data)
	if isNoRows(err) {
		return nil, fleet.NotFound("Die TUF-Datei", "TUF file", name)
	}
	if err != nil {
		return nil, fmt.Errorf("read TUF file %s: %w", name, err)
	}
	return data, nil
}

// PutTUFFiles stores metadata files in one transaction.
func (s *Store) PutTUFFiles(ctx context.Context, files map[string][]byte) error {
	tx, err := s.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store TUF files: %w", err)
	}
	defer tx.Rollback()
	for name, data := range files {
		if _, err := s.exec(ctx, tx, `INSERT INTO tuf_files(name, data) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET data = excluded.data`,
			name, data); err != nil {
			return fmt.Errorf("store TUF file %s: %w", name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store TUF files: %w", err)
	}
	return nil
}
