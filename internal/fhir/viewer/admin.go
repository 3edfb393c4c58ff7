package viewer

import (
	"net/http"
	"sort"
	"strings"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/fhir"
)

type wardBox struct {
	ID, Name string
	Checked  bool
}

type userRow struct {
	Name  string
	All   bool
	Wards []wardBox
}

type accessView struct {
	base
	Users []userRow
	Saved string
}

func (v *Viewer) accessPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	st, err := v.o.Reader.State(ctx)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	census, err := fhir.CensusOf(ctx, v.o.Reader)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	users, err := v.o.Users(ctx)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	assigned, err := v.o.Access.AllUserWards(ctx)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	names := map[string]bool{}
	for _, u := range users {
		names[strings.ToLower(u)] = true
	}
	for u := range assigned {
		names[u] = true
	}
	b := v.base(r, st)
	av := accessView{base: b, Saved: r.URL.Query().Get("saved")}
	for u := range names {
		has := map[string]bool{}
		for _, w := range assigned[u] {
			has[w] = true
		}
		row := userRow{Name: u, All: has[fhir.AllWards]}
		for _, wd := range census.Wards {
			if wd.ID == fhir.NoWard {
				continue
			}
			row.Wards = append(row.Wards, wardBox{ID: wd.ID, Name: wd.Name, Checked: has[wd.ID]})
		}
		av.Users = append(av.Users, row)
	}
	sort.Slice(av.Users, func(i, j int) bool { return av.Users[i].Name < av.Users[j].Name })
	v.page(w, r, check.Msg("Stationen der Benutzer", "Wards of users"), "access", av)
}

func (v *Viewer) accessSave(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		v.fail(w, r, fhir.Errorf(fhir.EINVALID, "Formular nicht lesbar.", "Form not readable."))
		return
	}
	user := strings.ToLower(strings.TrimSpace(r.PostForm.Get("user")))
	if err := auth.ValidateName(user); err != nil || user == "" {
		v.fail(w, r, fhir.Errorf(fhir.EINVALID, "Unbekannter Benutzername.", "Unknown user name."))
		return
	}
	wards := r.PostForm["ward"]
	if r.PostForm.Get("all") == "1" {
		wards = append(wards, fhir.AllWards)
	}
	if err := v.o.Access.SetUserWards(r.Context(), user, wards); err != nil {
		v.fail(w, r, err)
		return
	}
	p, _ := v.o.Hooks.User(r)
	v.o.Log.Info("viewer: wards of a user changed", "by", p.Name, "user", user, "wards", wards)
	http.Redirect(w, r, v.o.Prefix+"/admin/access?saved="+user, http.StatusSeeOther)
}

type logRow struct {
	Time, User, Role, Action, Patient, Key, Ward, Detail string
	Denied                                               bool
}

type logView struct {
	base
	Rows []logRow
}

func (v *Viewer) logPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	st, err := v.o.Reader.State(ctx)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	var filter fhir.Key
	if k := r.URL.Query().Get("patient"); k != "" {
		if filter, err = fhir.ParseKey(k); err != nil {
			v.fail(w, r, err)
			return
		}
	}
	entries, err := v.o.Access.AccessLog(ctx, filter, 500)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	census, _ := fhir.CensusOf(ctx, v.o.Reader)
	b := v.base(r, st)
	names := map[fhir.Key]string{}
	lv := logView{base: b}
	for _, e := range entries {
		row := logRow{Time: b.L.Time(e.At), User: e.User, Role: e.Role, Action: b.L.T("act." + e.Action), Detail: e.Detail,
			Denied: e.Action == fhir.ActionDenied}
		if e.Ward != "" && census != nil {
			if wd, ok := census.Ward(e.Ward); ok {
				row.Ward = wd.Name
			} else {
				row.Ward = e.Ward
			}
		}
		if !e.Patient.IsZero() {
			row.Key = e.Patient.String()
			name, ok := names[e.Patient]
			if !ok {
				if rec, err := v.o.Reader.Record(ctx, e.Patient, fhir.TypePatient); err == nil {
					name = rec.Patient.Name()
				} else {
					name = "(" + e.Patient.String()[:8] + ")"
				}
				names[e.Patient] = name
			}
			row.Patient = name
		}
		lv.Rows = append(lv.Rows, row)
	}
	v.page(w, r, check.Msg("Zugriffsprotokoll", "Access log"), "log", lv)
}
