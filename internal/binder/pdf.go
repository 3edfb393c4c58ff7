package binder

import (
	"fmt"
	"strings"

	"github.com/lifeline-project/lifeline/internal/certcal"
	"github.com/lifeline-project/lifeline/internal/incident"
	"github.com/lifeline-project/lifeline/internal/incident/pdfdoc"
	"github.com/lifeline-project/lifeline/internal/runbook"
)

// tr picks the German or English words.
func tr(lang, de, en string) string {
	if lang == "en" {
		return en
	}
	return de
}

// StandLabel returns the date line printed on every page: "Stand:
// 29.03.2026 06:30".
func (b Binder) StandLabel(lang string) string {
	return tr(lang, "Stand: ", "As of: ") + incident.FormatTime(b.Generated, b.Location, lang)
}

// Title returns the binder's title.
func (b Binder) Title(lang string) string { return tr(lang, "Notfallmappe", "Emergency binder") }

// PDF renders the binder as an A4 PDF with the date on every page.
func (b Binder) PDF(lang string) ([]byte, error) {
	d := pdfdoc.New(pdfdoc.Options{Title: b.Title(lang), Site: b.Site, Stamp: b.StandLabel(lang),
		Footer:   tr(lang, "Notfallmappe – ", "Emergency binder – ") + b.StandLabel(lang) + tr(lang, " – ältere Ausdrucke ersetzen", " – replace older copies"),
		PageWord: tr(lang, "Seite", "Page"), OfWord: tr(lang, "von", "of"), Created: b.Generated})
	d.H1(b.Title(lang) + " – " + b.Site)
	d.Para(b.StandLabel(lang))
	d.Para(tr(lang,
		"Diese Mappe gilt, wenn Strom, Netz, TI oder Warenwirtschaft ausfallen. Sie gehört an einen zweiten Ort (Büro, Tresor) und wird täglich neu gedruckt oder gespeichert. Reihenfolge im Ernstfall: Strom – Netz – Zugang – Mensch – Dokument – Rückkehr.",
		"This binder applies when power, network, TI or the pharmacy system fail. Keep it in a second place (office, safe); it is printed or saved anew every day. Order in an emergency: power – network – access – people – document – return."))
	d.H3(tr(lang, "Inhalt", "Contents"))
	contents := []string{tr(lang, "Telefonkette", "Phone tree"), tr(lang, "Kontakte", "Contacts"),
		tr(lang, "Checklisten in der Wiederanlauf-Reihenfolge", "Checklists in recovery order")}
	if b.PatientsIncluded {
		contents = append(contents, tr(lang, "Vorrang-Patienten (vertraulich)", "Priority patients (confidential)"))
	}
	contents = append(contents, tr(lang, "Zertifikate und Ausweise", "Certificates and cards"), tr(lang, "Notdienste", "Emergency duty"),
		fmt.Sprintf(tr(lang, "Die %d meistverkauften Artikel mit Preis und Zuzahlung", "The %d most-sold articles with price and co-payment"), len(b.Articles)))
	d.Bullets(contents)
	if len(b.Stand) > 0 {
		var lines []string
		for _, s := range b.Stand {
			lines = append(lines, s.In(lang))
		}
		d.Note(tr(lang, "Datenstand der Downtime-Kopie: ", "Downtime copy as of: ") + strings.Join(lines, "; "))
	}
	if len(b.Missing) > 0 {
		var lines []string
		for _, m := range b.Missing {
			lines = append(lines, m.In(lang))
		}
		d.Box(tr(lang, "Unvollständig: ", "Incomplete: ") + strings.Join(lines, " "))
	}

	d.H2(tr(lang, "Telefonkette", "Phone tree"))
	if len(b.PhoneTree) == 0 {
		d.Para(tr(lang, "Keine Telefonkette eingerichtet (incident.binder.phone_tree in der Konfiguration).", "No phone tree set up (incident.binder.phone_tree in the configuration)."))
	} else {
		rows := make([][]string, 0, len(b.PhoneTree))
		for i, p := range b.PhoneTree {
			rows = append(rows, []string{fmt.Sprintf("%d", i+1), p.Name, p.Role, p.Phone, strings.Join(p.Calls, ", ")})
		}
		d.Table([]pdfdoc.Col{{Title: "", Width: 4, Align: "R"}, {Title: tr(lang, "Name", "Name"), Width: 25}, {Title: tr(lang, "Rolle", "Role"), Width: 20},
			{Title: tr(lang, "Telefon", "Phone"), Width: 22}, {Title: tr(lang, "ruft danach an", "then calls"), Width: 30}}, rows, 10)
	}

	d.H2(tr(lang, "Kontakte", "Contacts"))
	if len(b.Contacts) == 0 {
		d.Para(tr(lang, "Keine Kontakte in der Downtime-Kopie.", "No contacts in the downtime copy."))
	} else {
		rows := make([][]string, 0, len(b.Contacts))
		for _, c := range b.Contacts {
			priv := c.PhonePrivate
			if c.PrivateUnavailable {
				priv = tr(lang, "(nicht lesbar)", "(not readable)")
			}
			more := strings.TrimSpace(c.Email + "\n" + c.Note)
			rows = append(rows, []string{c.Kind.Title().In(lang), c.Name, c.Phone, priv, more})
		}
		d.Table([]pdfdoc.Col{{Title: tr(lang, "Art", "Kind"), Width: 22}, {Title: tr(lang, "Name", "Name"), Width: 30}, {Title: tr(lang, "Telefon", "Phone"), Width: 22},
			{Title: tr(lang, "Direkt / privat", "Direct / private"), Width: 21}, {Title: tr(lang, "E-Mail, Hinweis", "E-mail, note"), Width: 35}}, rows, 8.5)
	}

	d.H2(tr(lang, "Checklisten", "Checklists"))
	for i, p := range runbook.Phases() {
		var cls []runbook.Checklist
		for _, c := range b.Checklists {
			if c.Phase == p {
				cls = append(cls, c)
			}
		}
		if len(cls) == 0 {
			continue
		}
		d.H3(fmt.Sprintf("%d. %s", i+1, p.Title().In(lang)))
		for _, c := range cls {
			if c.Source != "builtin" {
				d.Note(tr(lang, "Aus dem Notfallhandbuch: ", "From the emergency handbook: ") + c.Title.In(lang))
			}
			items := make([]string, 0, len(c.Steps))
			for _, s := range c.Steps {
				items = append(items, s.Text.In(lang))
			}
			d.Checkboxes(items)
		}
	}

	if b.PatientsIncluded {
		d.NewPage()
		d.H2(tr(lang, "Vorrang-Patienten (vertraulich)", "Priority patients (confidential)"))
		d.Box(tr(lang, "Vertraulich: personenbezogene Gesundheitsdaten. Nur für die Versorgung im Notfall; sicher verwahren, alte Ausdrucke vernichten.",
			"Confidential: personal health data. Only for care in an emergency; keep safe, destroy old copies."))
		if len(b.Patients) == 0 {
			d.Para(tr(lang, "Keine Vorrang-Patienten eingetragen.", "No priority patients entered."))
		} else {
			rows := make([][]string, 0, len(b.Patients))
			for _, p := range b.Patients {
				due := ""
				if !p.NextDue.IsZero() {
					due = p.NextDue.Format(tr(lang, "02.01.2006", "2006-01-02"))
				}
				rows = append(rows, []string{p.CustomerNo, p.Name, p.Phone, p.Drugs, due, p.Note})
			}
			d.Table([]pdfdoc.Col{{Title: tr(lang, "Kd.-Nr.", "Cust. no."), Width: 12}, {Title: tr(lang, "Name", "Name"), Width: 24}, {Title: tr(lang, "Telefon", "Phone"), Width: 18},
				{Title: tr(lang, "Arzneimittel", "Drugs"), Width: 30}, {Title: tr(lang, "nächster Bedarf", "next due"), Width: 13}, {Title: tr(lang, "Hinweis", "Note"), Width: 22}}, rows, 8.5)
		}
	}

	d.H2(tr(lang, "Zertifikate und Ausweise", "Certificates and cards"))
	if len(b.Certificates) == 0 {
		d.Para(tr(lang, "Keine Einträge im Zertifikatskalender.", "No entries in the certificate calendar."))
	} else {
		rows := make([][]string, 0, len(b.Certificates))
		for _, c := range b.Certificates {
			rows = append(rows, []string{kindTitle(c.Kind, lang), c.Name, c.LastDay.Format(tr(lang, "02.01.2006", "2006-01-02")), c.Words().In(lang)})
		}
		d.Table([]pdfdoc.Col{{Title: tr(lang, "Art", "Kind"), Width: 25}, {Title: tr(lang, "Name", "Name"), Width: 35},
			{Title: tr(lang, "gültig bis", "valid until"), Width: 14}, {Title: tr(lang, "Stand", "Status"), Width: 26}}, rows, 9)
	}

	d.H2(fmt.Sprintf(tr(lang, "Notdienste bis %s", "Emergency duty until %s"), b.DutyUntil.In(b.Location).AddDate(0, 0, -1).Format(tr(lang, "02.01.2006", "2006-01-02"))))
	if len(b.Duty) == 0 {
		d.Para(tr(lang, "Keine Notdienste in der Downtime-Kopie.", "No duty shifts in the downtime copy."))
	} else {
		rows := make([][]string, 0, len(b.Duty))
		for _, s := range b.Duty {
			rows = append(rows, []string{incident.FormatTime(s.Start, b.Location, lang), incident.FormatTime(s.End, b.Location, lang), s.Name, s.Address, s.Phone})
		}
		d.Table([]pdfdoc.Col{{Title: tr(lang, "Beginn", "Start"), Width: 17}, {Title: tr(lang, "Ende", "End"), Width: 17}, {Title: tr(lang, "Apotheke", "Pharmacy"), Width: 25},
			{Title: tr(lang, "Adresse", "Address"), Width: 28}, {Title: tr(lang, "Telefon", "Phone"), Width: 16}}, rows, 8.5)
	}

	d.NewPage()
	d.H2(fmt.Sprintf(tr(lang, "Die %d meistverkauften Artikel", "The %d most-sold articles"), len(b.Articles)))
	d.Note(tr(lang,
		"AVP = Apothekenverkaufspreis. Zuzahlung: gesetzlich Versicherte ab 18 Jahren, je Packung, auf Kassenrezept (10 %, mindestens 5 €, höchstens 10 €, nie mehr als der Preis). Mehrkosten über dem Festbetrag zahlen auch Befreite. Ohne Rezept zahlt die Kundschaft den AVP.",
		"AVP = pharmacy retail price. Co-payment: statutory insurance, adults, per pack, on a GKV prescription (10 %, at least 5 €, at most 10 €, never more than the price). Costs above the reference price are paid by exempt patients too. Without prescription the customer pays the AVP."))
	if len(b.Articles) == 0 {
		d.Para(tr(lang, "Keine Artikel.", "No articles."))
	} else {
		rows := make([][]string, 0, len(b.Articles))
		for _, a := range b.Articles {
			copay, extra := "–", ""
			if a.HasCopay {
				copay = Euro(a.Copay)
				if a.Exempt {
					copay += tr(lang, " (befreit)", " (exempt)")
				}
				if a.Mehrkosten.IsPositive() {
					extra = Euro(a.Mehrkosten)
				}
			}
			rx := ""
			if a.Rx {
				rx = "Rx"
			}
			rows = append(rows, []string{fmt.Sprintf("%d", a.Rank), a.PZN, a.Name, a.Pack, rx, a.AVP.German(), copay, extra})
		}
		d.Table([]pdfdoc.Col{{Title: tr(lang, "Nr.", "No."), Width: 5, Align: "R"}, {Title: "PZN", Width: 10}, {Title: tr(lang, "Artikel", "Article"), Width: 33},
			{Title: tr(lang, "Packung", "Pack"), Width: 12}, {Title: "Rx", Width: 5}, {Title: "AVP", Width: 10, Align: "R"},
			{Title: tr(lang, "Zuzahlung", "Co-pay"), Width: 11, Align: "R"}, {Title: tr(lang, "Mehrkosten", "Above ref."), Width: 13, Align: "R"}}, rows, 7.5)
	}
	return d.Bytes()
}

func kindTitle(kind, lang string) string { return certcal.KindTitle(kind).In(lang) }
