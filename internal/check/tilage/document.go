package tilage

import (
	"encoding/json"
	"fmt"
	"io"
)

// Path is the path of the TI-Lagebild v2 document below the API base URL
// (gematik/api-tilage, content/tilage.md, "TI Lagebild Version 2").
const Path = "/v2/tilage"

// DefaultURL is the base URL of gematik's production TI-Lagebild API; the
// document lives at DefaultURL + Path.
const DefaultURL = "https://ti-lage.prod.ccs.gematik.solutions/lageapi"

// Outage is the degree of an outage in the TI-Lagebild.
type Outage string

// The outage values of the TI-Lagebild v2.
const (
	OutageNone    Outage = "none"
	OutagePartial Outage = "partial"
	OutageFull    Outage = "full"
)

// Application groups of appStatus (the groups of gematik's service map).
const (
	AppERezept     = "erezept"
	AppEPA         = "epa"
	AppKIM         = "kim"
	AppWANDA       = "wanda"
	AppOGD         = "ogd"
	AppVSDM        = "vsdm"
	AppTIAnschluss = "tianschluss"
)

// Document is the TI-Lagebild v2 answer: the state of each application
// group and the systems causing trouble.
type Document struct {
	AppStatus map[string]AppStatus `json:"appStatus"`
	Cause     []Cause              `json:"cause"`
}

// AppStatus is the state of one application group, for example "erezept".
type AppStatus struct {
	Outage                     Outage             `json:"outage"`
	HasMaintenance             bool               `json:"hasMaintenance"`
	HasSubComponentMaintenance bool               `json:"hasSubComponentMaintenance"`
	AffectedFunctions          []AffectedFunction `json:"affectedFunctions"`
}

// AffectedFunction is one function of a group that is impaired.
type AffectedFunction struct {
	Function string `json:"function"`
	// Critical is 1 for a critical function, 0 otherwise.
	Critical       int    `json:"critical"`
	ImpactDesc     string `json:"impactDesc"`
	Outage         Outage `json:"outage"`
	HasMaintenance bool   `json:"hasMaintenance"`
}

// Cause is one system the TI-Lagebild names as the cause of an outage.
type Cause struct {
	CI           string `json:"ci"`
	Component    string `json:"component"`
	Service      string `json:"service"`
	Organization string `json:"organization"`
	Function     string `json:"function"`
}

// maxDocumentBytes bounds the document read; real ones are a few KiB.
const maxDocumentBytes = 1 << 20

// ParseDocument reads a TI-Lagebild v2 document.
func ParseDocument(r io.Reader) (*Document, error) {
	var d Document
	dec := json.NewDecoder(io.LimitReader(r, maxDocumentBytes))
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("TI-Lagebild answer is not the expected JSON: %w", err)
	}
	if d.AppStatus == nil {
		return nil, fmt.Errorf("TI-Lagebild answer has no appStatus; is the URL the v2 API (%s)?", DefaultURL+Path)
	}
	return &d, nil
}

// Render returns a TI-Lagebild v2 document in which the E-Rezept group has
// the given outage and every other group none. The demo's simulated
// TI-Lagebild serves it at Path.
func Render(erezept Outage) []byte {
	d := Document{AppStatus: map[string]AppStatus{}, Cause: []Cause{}}
	for _, app := range []string{AppERezept, AppEPA, AppKIM, AppWANDA, AppOGD, AppVSDM, AppTIAnschluss} {
		d.AppStatus[app] = AppStatus{Outage: OutageNone, AffectedFunctions: []AffectedFunction{}}
	}
	if erezept != OutageNone {
		desc := "Das Einlösen von E-Rezepten ist teilweise gestört"
		if erezept == OutageFull {
			desc = "Das Einlösen von E-Rezepten ist nicht möglich"
		}
		d.AppStatus[AppERezept] = AppStatus{
			Outage: erezept,
			AffectedFunctions: []AffectedFunction{{
				Function: "E-Rezept einlösen", Critical: 1, ImpactDesc: desc, Outage: erezept,
			}},
		}
		d.Cause = append(d.Cause, Cause{
			CI: "CI-0000000", Component: "*", Service: "E-Rezept-Fachdienst",
			Organization: "Simulierter Anbieter", Function: "Verwaltung von E-Rezepten",
		})
	}
	b, _ := json.MarshalIndent(d, "", "  ") // cannot fail: maps and structs of strings, ints and bools
	return b
}
