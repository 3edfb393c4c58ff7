package fleet

import (
	"context"
	"fmt"
)

// PublishRelease stores a release whose artifact is already in the
// artifacts folder (hash and length known) and signs it into the TUF
// repository, under the planner lock so that no replica signs at the same
// time. EINVALID lists the problems (or names an offline key), ECONFLICT
// when the version exists.
func (s *Service) PublishRelease(ctx context.Context, actor string, r Release) (Release, error) {
	r.Normalize()
	if ps := r.Validate(); len(ps) > 0 {
		return Release{}, problemsError(ps, "")
	}
	if len(r.SHA256) != 64 || r.Length <= 0 {
		return Release{}, Errorf(EINVALID, "Die Datei fehlt.", "The file is missing.")
	}
	existing, err := s.store.Releases(ctx)
	if err != nil {
		return Release{}, err
	}
	for _, x := range existing {
		if x.Component == r.Component && x.Version == r.Version {
			return Release{}, Errorf(ECONFLICT,
				"Die Version %s von %s gibt es schon. Eine Freigabe wird nie überschrieben; bitte eine neue Versionsnummer vergeben.",
				"Version %s of %s exists already. A release is never overwritten; please use a new version number.", r.Version, r.Component)
		}
	}
	r.CreatedAt, r.CreatedBy = s.clk.Now().UTC(), actor
	unlock, err := s.lockPlanner(ctx)
	if err != nil {
		return Release{}, err
	}
	defer unlock()
	if err := s.tuf.AddTarget(ctx, TUFTarget{Path: r.TargetPath, Length: r.Length, SHA256: r.SHA256, Custom: map[string]string{
		"component": r.Component, "version": r.Version, "install_hook": r.InstallHook, "rollback_hook": r.RollbackHook,
	}}); err != nil {
		return Release{}, err
	}
	out, err := s.store.CreateRelease(ctx, r)
	if err != nil {
		return Release{}, err
	}
	s.audit(ctx, actor, "release.add", fmt.Sprintf("release:%d", out.ID), fmt.Sprintf("%s %s (%s, %d bytes, sha256 %s)", r.Component, r.Version, r.Artifact, r.Length, r.SHA256))
	return out, nil
}

// Releases returns all releases, newest first.
func (s *Service) Releases(ctx context.Context) ([]Release, error) { return s.store.Releases(ctx) }

// Release returns a release. ENOTFOUND.
func (s *Service) Release(ctx context.Context, id int64) (Release, error) {
	return s.store.Release(ctx, id)
}
