package viewer

import (
	"fmt"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/fhir"
)

// texts are the viewer's words, German first. Plain words for ward
// nurses and doctors during an EHR outage.
func texts() map[string]check.Text {
	m := check.Msg
	return map[string]check.Text{
		"title":           m("Klinik-Notfallansicht", "Hospital downtime view"),
		"nav":             m("Stationen", "Wards"),
		"wards":           m("Stationen", "Wards"),
		"patients":        m("Patienten", "patients"),
		"no.wards":        m("Ihnen ist keine Station zugeordnet. Bitte bei der Administration melden.", "No ward is assigned to you. Please ask an administrator."),
		"no.copy":         m("Es gibt noch keine Kopie des KIS. Der erste Abgleich läuft oder schlägt fehl; bitte die IT rufen.", "There is no copy of the EHR yet. The first sync is running or failing; please call IT."),
		"stale":           m("Achtung: Die Kopie ist veraltet. Neuere Einträge (Medikamente, Befunde) fehlen – im Zweifel nachfragen.", "Warning: the copy is out of date. Newer entries (drugs, results) are missing – ask when in doubt."),
		"search":          m("Suche", "Search"),
		"search.label":    m("Name, Geburtsdatum (TT.MM.JJJJ) oder Fallnummer", "Name, date of birth or record number"),
		"search.button":   m("Suchen", "Search"),
		"search.none":     m("Kein Patient gefunden.", "No patient found."),
		"search.short":    m("Bitte mindestens einen Namen, ein Geburtsdatum oder eine Nummer eingeben.", "Please enter a name, a date of birth or a number."),
		"search.hidden":   m("Weitere Treffer liegen auf Stationen, die Ihnen nicht zugeordnet sind.", "More matches are on wards not assigned to you."),
		"bed":             m("Zimmer / Bett", "Room / bed"),
		"name":            m("Name", "Name"),
		"born":            m("Geburtsdatum", "Date of birth"),
		"age":             m("Alter", "Age"),
		"years":           m("Jahre", "years"),
		"gender":          m("Geschlecht", "Sex"),
		"record":          m("Fallnummer / ID", "Record number"),
		"ward":            m("Station", "Ward"),
		"allergies":       m("Allergien und Unverträglichkeiten", "Allergies and intolerances"),
		"allergies.short": m("Allergien", "Allergies"),
		"allergies.none":  m("Keine Allergien bekannt (so dokumentiert).", "No known allergies (documented)."),
		"allergies.unrec": m("Keine Allergien erfasst – das heißt nicht, dass keine bestehen. Patienten fragen.", "No allergies recorded – this does not mean there are none. Ask the patient."),
		"high":            m("HOHES RISIKO", "HIGH RISK"),
		"unconfirmed":     m("unbestätigt", "unconfirmed"),
		"admitted":        m("Aufnahme", "Admitted"),
		"reason":          m("Grund", "Reason"),
		"doctor":          m("Arzt/Ärztin", "Doctor"),
		"meds":            m("Aktuelle Medikation", "Current medication"),
		"meds.none":       m("Keine aktiven Verordnungen in der Kopie.", "No active orders in the copy."),
		"drug":            m("Medikament", "Drug"),
		"dosage":          m("Dosierung", "Dosage"),
		"since":           m("seit", "since"),
		"by":              m("verordnet von", "ordered by"),
		"onhold":          m("pausiert", "on hold"),
		"given":           m("Gegeben (letzte 48 Stunden)", "Given (last 48 hours)"),
		"given.none":      m("Keine Gaben in den letzten 48 Stunden dokumentiert.", "No doses documented in the last 48 hours."),
		"time":            m("Zeit", "Time"),
		"dose":            m("Dosis", "Dose"),
		"notgiven":        m("nicht gegeben", "not given"),
		"problems":        m("Probleme und Diagnosen", "Problems and diagnoses"),
		"problems.none":   m("Keine aktiven Probleme in der Kopie.", "No active problems in the copy."),
		"problems.past":   m("Frühere Probleme", "Past problems"),
		"vitals":          m("Vitalwerte", "Vital signs"),
		"vitals.none":     m("Keine Vitalwerte der letzten Tage in der Kopie.", "No recent vital signs in the copy."),
		"labs":            m("Laborwerte", "Lab results"),
		"labs.none":       m("Keine Laborwerte der letzten Tage in der Kopie.", "No recent lab results in the copy."),
		"value":           m("Wert", "Value"),
		"earlier":         m("vorher", "earlier"),
		"range":           m("Referenz", "Reference"),
		"abnormal":        m("auffällig", "abnormal"),
		"procedures":      m("Eingriffe und Untersuchungen", "Procedures"),
		"procedures.none": m("Keine Eingriffe in der Kopie.", "No procedures in the copy."),
		"documents":       m("Dokumente (nur Verzeichnis)", "Documents (list only)"),
		"documents.none":  m("Keine Dokumente in der Kopie.", "No documents in the copy."),
		"date":            m("Datum", "Date"),
		"author":          m("Verfasser", "Author"),
		"more":            m("weitere", "more"),
		"print":           m("Drucken", "Print"),
		"print.view":      m("Druckansicht Station (Liste + Medikation)", "Print view (list + medication)"),
		"pdf.ward":        m("PDF Stationsliste", "PDF ward list"),
		"pdf.meds":        m("PDF Medikationsliste", "PDF medication list"),
		"back":            m("Zurück zur Übersicht", "Back to the overview"),
		"ward.empty":      m("Keine Patienten auf dieser Station.", "No patients on this ward."),
		"missing":         m("Patient fehlt in der Kopie", "patient missing in the copy"),
		"deceased":        m("verstorben", "deceased"),
		"sync":            m("Abgleich mit dem KIS", "Sync with the EHR"),
		"sync.mode":       m("Verfahren", "Method"),
		"sync.last":       m("Letzter Versuch", "Last attempt"),
		"sync.error":      m("Letzter Fehler", "Last error"),
		"sync.import":     m("Letzter Import", "Last import"),
		"sync.problems":   m("Fehlerhafte Zeilen (übersprungen)", "Malformed lines (skipped)"),
		"admin.access":    m("Stationen der Benutzer", "Wards of users"),
		"admin.log":       m("Zugriffsprotokoll", "Access log"),
		"user":            m("Benutzer", "User"),
		"all.wards":       m("alle Stationen und Patienten", "all wards and patients"),
		"save":            m("Speichern", "Save"),
		"saved":           m("Gespeichert.", "Saved."),
		"admin.note":      m("Administratoren sehen immer alle Stationen.", "Administrators always see all wards."),
		"action":          m("Aktion", "Action"),
		"patient":         m("Patient", "Patient"),
		"detail":          m("Detail", "Detail"),
		"role":            m("Rolle", "Role"),
		"log.note":        m("Jeder Blick auf Patientendaten wird hier mit Benutzer und Zeit festgehalten.", "Every look at patient data is recorded here with user and time."),
		"act.patient":     m("Patientenübersicht", "patient summary"),
		"act.ward":        m("Stationsliste", "ward list"),
		"act.search":      m("Suche", "search"),
		"act.print":       m("Druck", "print"),
		"act.printrun":    m("geplanter Druck", "scheduled print"),
		"act.denied":      m("abgewiesen", "refused"),
		"forbidden":       m("Dieser Patient liegt nicht auf einer Ihrer Stationen. Der Versuch wurde protokolliert.", "This patient is not on one of your wards. The attempt has been recorded."),
		"forbidden.ward":  m("Diese Station ist Ihnen nicht zugeordnet.", "This ward is not assigned to you."),
		"log.failed":      m("Der Zugriff konnte nicht protokolliert werden; deshalb werden keine Patientendaten gezeigt. Bitte die IT rufen.", "The access could not be recorded, so no patient data is shown. Please call IT."),
		"gender.female":   m("weiblich", "female"),
		"gender.male":     m("männlich", "male"),
		"gender.other":    m("divers", "other"),
		"gender.unknown":  m("unbekannt", "unknown"),
		"crit.high":       m("hohe Kritikalität", "high criticality"),
		"crit.low":        m("geringe Kritikalität", "low criticality"),
		"crit.unable":     m("Kritikalität unklar", "criticality unclear"),
		"cat.medication":  m("Medikament", "drug"),
		"cat.food":        m("Lebensmittel", "food"),
		"cat.environment": m("Umwelt", "environment"),
		"cat.biologic":    m("Biologikum", "biologic"),
		"printed":         m("Gedruckt", "Printed"),
		"confidential":    m("Vertraulich – Patientendaten. Nach Gebrauch datenschutzgerecht vernichten.", "Confidential patient data. Shred after use."),
	}
}

// tr gives templates the words and formats of one language.
type tr struct {
	lang string
	loc  *time.Location
	m    map[string]check.Text
}

// T returns the text of key.
func (t tr) T(key string) string {
	if x, ok := t.m[key]; ok {
		return x.In(t.lang)
	}
	return key
}

// Date formats a FHIR date.
func (t tr) Date(d fhir.Date) string { return d.Format(t.lang, t.loc) }

// Time formats an instant.
func (t tr) Time(at time.Time) string {
	return fhir.Date{Time: at, Precision: fhir.PrecisionTime}.Format(t.lang, t.loc)
}

// Lang returns the language.
func (t tr) Lang() string { return t.lang }

// N formats a count with its noun: "3 Patienten".
func (t tr) N(n int, key string) string { return fmt.Sprintf("%d %s", n, t.T(key)) }
