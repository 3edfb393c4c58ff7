package alert

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/validate"
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// Validate reports every problem of the section at once; keys are relative
// to the section ("receivers[2].email.host"). Call ApplyDefaults first.
// References to check ids are checked by ValidateChecks, which needs the
// site's checks.
func (c *Config) Validate() validate.Problems {
	var ps validate.Problems
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			ps.Add("public_url", "%q is not an http(s) address; write it like http://192.168.1.10:8080", c.PublicURL)
		}
	} else if len(c.Routes) > 0 {
		ps.Add("public_url", "missing; write the dashboard's address as the staff's phones reach it, like http://192.168.1.10:8080, so that messages can link to it")
	}
	positive := func(key string, d check.Duration) {
		if d < 0 {
			ps.Add(key, "must not be negative")
		}
	}
	positive("group_wait", c.GroupWait)
	positive("group_interval", c.GroupInterval)
	positive("resolve_wait", c.ResolveWait)
	if c.RepeatInterval.D() < time.Minute {
		ps.Add("repeat_interval", "%s is too short; use at least 1m (default 4h)", c.RepeatInterval.D())
	}
	if c.AckLinkValid.D() < time.Minute {
		ps.Add("ack_link_valid", "%s is too short; use at least 1m (default 24h)", c.AckLinkValid.D())
	}
	if c.Retry.Attempts < 1 || c.Retry.Attempts > 20 {
		ps.Add("retry.attempts", "%d is out of range; use 1 to 20", c.Retry.Attempts)
	}
	if c.Retry.First.D() < 100*time.Millisecond || c.Retry.Max < c.Retry.First {
		ps.Add("retry", "first must be at least 100ms and max at least first")
	}

	receivers := map[string]bool{}
	for i, r := range c.Receivers {
		key := fmt.Sprintf("receivers[%d]", i)
		c.checkName(&ps, key+".name", r.Name, receivers, "receiver")
		n := 0
		if r.Email != nil {
			n++
			ps = append(ps, r.Email.Validate().Prefixed(key+".email")...)
		}
		if r.Webhook != nil {
			n++
			ps = append(ps, r.Webhook.Validate().Prefixed(key+".webhook")...)
		}
		if r.Ntfy != nil {
			n++
			ps = append(ps, r.Ntfy.Validate().Prefixed(key+".ntfy")...)
		}
		if r.SMS != nil {
			n++
			ps = append(ps, r.SMS.Validate().Prefixed(key+".sms")...)
		}
		if n != 1 {
			ps.Add(key, "give exactly one channel: email, webhook, ntfy or sms")
		}
	}

	people := map[string]bool{}
	for i, p := range c.People {
		key := fmt.Sprintf("people[%d]", i)
		c.checkName(&ps, key+".id", p.ID, people, "person")
		if len(p.Receivers) == 0 {
			ps.Add(key+".receivers", "missing; name at least one receiver through which %s is alerted", p.Name)
		}
		refs(&ps, key+".receivers", p.Receivers, receivers, "receiver")
	}

	rotas := map[string]bool{}
	for i, r := range c.Rotas {
		key := fmt.Sprintf("rotas[%d]", i)
		c.checkName(&ps, key+".id", r.ID, rotas, "rota")
		if len(r.Layers) == 0 {
			ps.Add(key+".layers", "missing; a rota needs at least one layer (shift)")
		}
		for j, l := range r.Layers {
			lk := fmt.Sprintf("%s.layers[%d]", key, j)
			if _, err := parseDays(l.Days); err != nil {
				ps.Add(lk+".days", "%v", err)
			}
			for k, d := range l.Dates {
				if _, err := parseDate(d); err != nil {
					ps.Add(fmt.Sprintf("%s.dates[%d]", lk, k), "%v", err)
				}
			}
			if _, err := parseClock(l.Start); err != nil {
				ps.Add(lk+".start", "%v", err)
			}
			if _, err := parseClock(l.End); err != nil {
				ps.Add(lk+".end", "%v", err)
			}
			if len(l.People) == 0 {
				ps.Add(lk+".people", "missing; name who is on call in this shift")
			}
			refs(&ps, lk+".people", l.People, people, "person")
			switch l.Rotate {
			case RotateNone, RotateDaily, RotateWeekly:
			default:
				ps.Add(lk+".rotate", "%q is not a rotation; use daily or weekly, or leave it out", l.Rotate)
			}
			if l.RotationStart != "" {
				if _, err := parseDate(l.RotationStart); err != nil {
					ps.Add(lk+".rotation_start", "%v", err)
				}
			}
		}
		for j, o := range r.Overrides {
			ok := fmt.Sprintf("%s.overrides[%d]", key, j)
			from, err1 := parseLocal(o.From, time.UTC)
			if err1 != nil {
				ps.Add(ok+".from", "%v", err1)
			}
			to, err2 := parseLocal(o.To, time.UTC)
			if err2 != nil {
				ps.Add(ok+".to", "%v", err2)
			}
			if err1 == nil && err2 == nil && !to.After(from) {
				ps.Add(ok+".to", "must be after from")
			}
			ref(&ps, ok+".person", o.Person, people, "person")
			if o.InsteadOf != "" {
				ref(&ps, ok+".instead_of", o.InsteadOf, people, "person")
			}
		}
	}

	policies := map[string]bool{}
	for i, p := range c.EscalationPolicies {
		key := fmt.Sprintf("escalation_policies[%d]", i)
		c.checkName(&ps, key+".id", p.ID, policies, "escalation policy")
		if len(p.Steps) == 0 {
			ps.Add(key+".steps", "missing; an escalation policy needs at least one step")
		}
		for j, s := range p.Steps {
			sk := fmt.Sprintf("%s.steps[%d]", key, j)
			if s.Delay < 0 {
				ps.Add(sk+".delay", "must not be negative")
			}
			if j > 0 && s.Delay.D() < time.Minute {
				ps.Add(sk+".delay", "%s is too short; give the person before at least 1m to react", s.Delay.D())
			}
			if len(s.People)+len(s.Rotas)+len(s.Receivers) == 0 {
				ps.Add(sk, "names nobody; give people, rotas or receivers")
			}
			refs(&ps, sk+".people", s.People, people, "person")
			refs(&ps, sk+".rotas", s.Rotas, rotas, "rota")
			refs(&ps, sk+".receivers", s.Receivers, receivers, "receiver")
		}
		if p.Loops < 0 || p.Loops > 10 {
			ps.Add(key+".loops", "%d is out of range; use 0 to 10", p.Loops)
		}
		if p.Loops > 0 && p.LoopDelay.D() < time.Minute {
			ps.Add(key+".loop_delay", "too short; use at least 1m")
		}
		if p.AckTimeout != nil && *p.AckTimeout != 0 && p.AckTimeout.D() < time.Minute {
			ps.Add(key+".ack_timeout", "too short; use at least 1m, or 0s to keep an acknowledgement until the incident ends")
		}
	}

	for i, r := range c.Routes {
		key := fmt.Sprintf("routes[%d]", i)
		for j, g := range r.Groups {
			if !slices.Contains(check.Groups, g) {
				ps.Add(fmt.Sprintf("%s.groups[%d]", key, j), "%q is not a group; use one of %v", g, check.Groups)
			}
		}
		for j, s := range r.Severity {
			if s != string(check.StateDown) && s != string(check.StateDegraded) {
				ps.Add(fmt.Sprintf("%s.severity[%d]", key, j), "%q is not a severity; use down or degraded", s)
			}
		}
		switch r.GroupBy {
		case GroupBySite, GroupByCheck:
		default:
			ps.Add(key+".group_by", "%q is not supported; use site or check", r.GroupBy)
		}
		refs(&ps, key+".receivers", r.Receivers, receivers, "receiver")
		refs(&ps, key+".people", r.People, people, "person")
		refs(&ps, key+".rotas", r.Rotas, rotas, "rota")
		if r.Escalation != "" {
			ref(&ps, key+".escalation", r.Escalation, policies, "escalation policy")
			if len(r.Receivers)+len(r.People)+len(r.Rotas) > 0 {
				ps.Add(key+".escalation", "give either an escalation policy or receivers, people and rotas, not both")
			}
		} else if len(r.Receivers)+len(r.People)+len(r.Rotas) == 0 {
			ps.Add(key, "sends to nobody; give receivers, people, rotas or an escalation policy")
		}
	}

	for i, s := range c.Silences {
		key := fmt.Sprintf("silences[%d]", i)
		if s.Comment == "" {
			ps.Add(key+".comment", "missing; say why the alerts are muted, so that others know")
		}
		until, err := parseLocal(s.Until, time.UTC)
		if err != nil {
			ps.Add(key+".until", "%v", err)
		}
		if s.From != "" {
			from, err2 := parseLocal(s.From, time.UTC)
			if err2 != nil {
				ps.Add(key+".from", "%v", err2)
			} else if err == nil && !until.After(from) {
				ps.Add(key+".until", "must be after from")
			}
		}
		groups(&ps, key+".groups", s.Groups)
	}
	for i, m := range c.MaintenanceWindows {
		key := fmt.Sprintf("maintenance_windows[%d]", i)
		if _, err := parseDays(m.Days); err != nil {
			ps.Add(key+".days", "%v", err)
		}
		if _, err := parseClock(m.Start); err != nil {
			ps.Add(key+".start", "%v", err)
		}
		if _, err := parseClock(m.End); err != nil {
			ps.Add(key+".end", "%v", err)
		}
		groups(&ps, key+".groups", m.Groups)
	}
	for k := range c.FirstSteps {
		if k == "" {
			ps.Add("first_steps", "an entry has no check id or group")
		}
	}
	if c.Heartbeat.URL != "" {
		if u, err := url.Parse(c.Heartbeat.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			ps.Add("heartbeat.url", "%q is not an http(s) URL", c.Heartbeat.URL)
		}
		if c.Heartbeat.Every.D() < 10*time.Second {
			ps.Add("heartbeat.every", "%s is too short; use at least 10s (default 5m)", c.Heartbeat.Every.D())
		}
	}
	return ps
}

// ValidateChecks reports references to checks that do not exist; ids are
// the site's check ids.
func (c *Config) ValidateChecks(ids []string) validate.Problems {
	var ps validate.Problems
	known := map[string]bool{}
	for _, id := range ids {
		known[id] = true
	}
	for i, r := range c.Routes {
		refs(&ps, fmt.Sprintf("routes[%d].checks", i), r.Checks, known, "check")
	}
	for i, s := range c.Silences {
		refs(&ps, fmt.Sprintf("silences[%d].checks", i), s.Checks, known, "check")
	}
	for i, m := range c.MaintenanceWindows {
		refs(&ps, fmt.Sprintf("maintenance_windows[%d].checks", i), m.Checks, known, "check")
	}
	return ps
}

func (c *Config) checkName(ps *validate.Problems, key, name string, seen map[string]bool, what string) {
	switch {
	case name == "":
		ps.Add(key, "missing; every %s needs a name to refer to it", what)
	case !nameRE.MatchString(name):
		ps.Add(key, "%q is not a valid name; use letters, digits, - _ . (up to 64)", name)
	case seen[name]:
		ps.Add(key, "%q is used twice; names must be unique", name)
	}
	seen[name] = true
}

func refs(ps *validate.Problems, key string, names []string, known map[string]bool, what string) {
	for j, n := range names {
		if !known[n] {
			ps.Add(fmt.Sprintf("%s[%d]", key, j), "no %s named %q", what, n)
		}
	}
}

func ref(ps *validate.Problems, key, name string, known map[string]bool, what string) {
	if !known[name] {
		ps.Add(key, "no %s named %q", what, name)
	}
}

func groups(ps *validate.Problems, key string, gs []string) {
	for j, g := range gs {
		if !slices.Contains(check.Groups, g) {
			ps.Add(fmt.Sprintf("%s[%d]", key, j), "%q is not a group; use one of %v", g, check.Groups)
		}
	}
}
