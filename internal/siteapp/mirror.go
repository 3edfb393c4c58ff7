package siteapp

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrorsite"
)

// MirrorCheckID is the id of the downtime copy's freshness check.
const MirrorCheckID = "downtime-copy"

// openMirror opens the downtime copy and adds its freshness check (when
// sources are configured) to the monitor's checks. The article lookups are
// mounted once the web server exists (mountMirror).
func (a *App) openMirror(ctx context.Context, o *Options) error {
	n, err := mirrorsite.Open(ctx, mirrorsite.Options{
		Config: a.Config.Mirror, DataDir: a.Config.DataDir, Clock: o.Clock, Logger: o.Log, Keys: a.Keys,
	})
	if err != nil {
		return fmt.Errorf("open the downtime copy: %w", err)
	}
	a.Mirror = n
	if len(a.Config.Mirror.Sources) > 0 {
		spec := check.Spec{
			ID: MirrorCheckID, Name: "Downtime-Kopie (Preisdaten)", Kind: "mirror", Group: check.GroupERP,
			Interval: check.Duration(30 * time.Second), Timeout: check.Duration(5 * time.Second),
			FailAfter: 1, RecoverAfter: 1,
			Affects: []string{"Notbetrieb an der Kasse"},
		}
		o.ExtraChecks = append(o.ExtraChecks, spec)
		if o.ExtraProbers == nil {
			o.ExtraProbers = map[string]check.Prober{}
		}
		o.ExtraProbers[spec.ID] = n.Prober()
	}
	return nil
}

// mountMirror serves the article lookups for API tokens and sessions.
func (a *App) mountMirror() {
	a.Web.HandleAPI("GET /api/v1/articles/{pzn}", auth.RoleViewer, a.Mirror.ArticleHandler())
	a.Web.HandleAPI("GET /api/v1/articles", auth.RoleViewer, a.Mirror.SearchHandler())
	a.Web.AddBanner(func(r *http.Request) (check.Text, bool) {
		if a.Mirror.KeyErr == nil {
			return check.Text{}, false
		}
		return check.Msg("Downtime-Kopie: Patientendaten nicht lesbar (Schlüssel fehlt oder passt nicht). Preise funktionieren weiter.",
			"Downtime copy: patient data unreadable (key missing or wrong). Prices keep working."), true
	})
}
