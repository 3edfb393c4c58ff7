package sqlstore

import (
	"context"
	"fmt"
	"strconv"

	"github.com/lifeline-project/lifeline/internal/fleet"
)

const releaseColumns = `id, component, version, artifact, target_path, length, sha256, install_hook, rollback_hook, notes, created_at, created_by`

func scanRelease(row rowScanner) (fleet.Release, error) {
	var r fleet.Release
	var created nt
	err := row.Scan(&r.ID, &r.Component, &r.Version, &r.Artifact, &r.TargetPath, &r.Length, &r.SHA256,
		&r.InstallHook, &r.RollbackHook, &r.Notes, &created, &r.CreatedBy)
	r.CreatedAt = created.T
	return r, err
}

// CreateRelease stores a release.
func (s *Store) CreateRelease(ctx context.Context, r fleet.Release) (fleet.Release, error) {
	err := s.W.QueryRowContext(ctx, s.q(`INSERT INTO releases(component, version, artifact, target_path, length, sha256, install_hook, rollback_hook, notes, created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		r.Component, r.Version, r.Artifact, r.TargetPath, r.Length, r.SHA256, r.InstallHook, r.RollbackHook, r.Notes, s.t(r.CreatedAt), r.CreatedBy).Scan(&r.ID)
	if err != nil {
		if s.d.IsUnique(err) {
			return fleet.Release{}, fleet.Errorf(fleet.ECONFLICT,
				"Die Version %s von %s gibt es schon. Eine Freigabe wird nie überschrieben; bitte eine neue Versionsnummer vergeben.",
				"Version %s of %s exists already. A release is never overwritten; please use a new version number.", r.Version, r.Component)
		}
		return fleet.Release{}, fmt.Errorf("create release %s %s: %w", r.Component, r.Version, err)
	}
	r.CreatedAt = r.CreatedAt.UTC()
	return r, nil
}

// Release returns the release with id.
func (s *Store) Release(ctx context.Context, id int64) (fleet.Release, error) {
	r, err := scanRelease(s.R.QueryRowContext(ctx, s.q(`SELECT `+releaseColumns+` FROM releases WHERE id = ?`), id))
	if isNoRows(err) {
		return fleet.Release{}, fleet.NotFound("Die Freigabe", "release", strconv.FormatInt(id, 10))
	}
	if err != nil {
		return fleet.Release{}, fmt.Errorf("read release %d: %w", id, err)
	}
	return r, nil
}

// Releases returns all releases, newest first.
func (s *Store) Releases(ctx context.Context) ([]fleet.Release, error) {
	rows, err := s.R.QueryContext(ctx, `SELECT `+releaseColumns+` FROM releases ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list releases: %w", err)
	}
	defer rows.Close()
	var out []fleet.Release
	for rows.Next() {
		r, err := scanRelease(rows)
		if err != nil {
			return nil, fmt.Errorf("list releases: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list releases: %w", err)
	}
	return out, nil
}
