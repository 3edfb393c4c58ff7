package fleet

import (
	"github.com/lifeline-project/lifeline/internal/alert/email"
	"github.com/lifeline-project/lifeline/internal/alert/webhook"
	"github.com/lifeline-project/lifeline/internal/validate"
)

// SilenceAlerts configures who hears of a silent site:
//
//	silence_alerts:
//	  webhook:                   # the hotline's ticket or paging tool
//	    url: https://hotline.example.de/hooks/lifeline
//	    secret: ein-langes-geheimnis
//	  email:                     # the site's contacts (addresses found in its contacts field)
//	    host: smtp.example.de
//	    from: fleet@example.de
//	    to: [hotline@example.de]  # optional: also these
//
// Without receivers a silence still enters the triage queue and the
// site's timeline.
type SilenceAlerts struct {
	Webhook *webhook.Config `yaml:"webhook"`
	Email   *email.Config   `yaml:"email"`
}

func (a *SilenceAlerts) applyDefaults() {
	if a.Webhook != nil {
		a.Webhook.ApplyDefaults()
	}
	if a.Email != nil {
		a.Email.ApplyDefaults()
	}
}

func (a SilenceAlerts) validate() validate.Problems {
	var ps validate.Problems
	if a.Webhook != nil {
		for _, p := range a.Webhook.Validate() {
			ps.Add("webhook."+p.Key, "%s", p.Msg)
		}
	}
	if a.Email != nil {
		cfg := *a.Email
		if len(cfg.To) == 0 {
			// The site's contacts are the receivers; "to" is optional.
			cfg.To = []string{"contacts@example.org"}
		}
		for _, p := range cfg.Validate() {
			ps.Add("email."+p.Key, "%s", p.Msg)
		}
	}
	return ps
}
