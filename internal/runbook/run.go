package runbook

import (
	"bytes"
	"fmt"
	"html/template"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/lifeline-project/lifeline/internal/incident"
)

// StepState is one step in a run: open, done or skipped, with who and when.
type StepState struct {
	Checklist Checklist
	Step      Step
	Done      bool
	Skipped   bool
	By        string
	At        time.Time
}

// Open reports whether the step still waits.
func (s StepState) Open() bool { return !s.Done && !s.Skipped }

// ChecklistState is one checklist in a run.
type ChecklistState struct {
	Checklist Checklist
	Steps     []StepState
	Finished  int
}

// PhaseState is one phase in a run.
type PhaseState struct {
	Phase      Phase
	Checklists []ChecklistState
	Finished   int
	Total      int
}

// Run is the state of a guided run in one incident.
type Run struct {
	Phases []PhaseState
	// Next is the first open step in recovery order; nil when all are done.
	Next     *StepState
	Finished int
	Total    int
}

// BuildRun reads the state of a run from an incident's entries.
func BuildRun(cls []Checklist, entries []incident.Entry) Run {
	type key struct{ c, s string }
	rec := map[key]incident.Entry{}
	for _, e := range entries {
		if e.Kind == incident.KindChecklistStep {
			rec[key{e.Data["checklist"], e.Data["step"]}] = e
		}
	}
	var run Run
	for _, p := range Phases() {
		ps := PhaseState{Phase: p}
		for _, c := range cls {
			if c.Phase != p {
				continue
			}
			cs := ChecklistState{Checklist: c}
			for _, s := range c.Steps {
				ss := StepState{Checklist: c, Step: s}
				if e, ok := rec[key{c.ID, s.ID}]; ok {
					ss.Skipped = e.Data["status"] == incident.StepSkipped
					ss.Done = !ss.Skipped
					ss.By, ss.At = e.Actor, e.At
					cs.Finished++
				}
				cs.Steps = append(cs.Steps, ss)
			}
			ps.Checklists = append(ps.Checklists, cs)
			ps.Finished += cs.Finished
			ps.Total += len(c.Steps)
		}
		run.Finished += ps.Finished
		run.Total += ps.Total
		run.Phases = append(run.Phases, ps)
	}
	for pi := range run.Phases {
		for ci := range run.Phases[pi].Checklists {
			for si := range run.Phases[pi].Checklists[ci].Steps {
				if s := &run.Phases[pi].Checklists[ci].Steps[si]; s.Open() && run.Next == nil {
					run.Next = s
				}
			}
		}
	}
	return run
}

// RenderMarkdown turns a handbook page into HTML. Raw HTML in the page is
// not passed through (goldmark's default), so a page cannot inject
// scripts into the dashboard.
func RenderMarkdown(md string) (template.HTML, error) {
	var buf bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert([]byte(md), &buf); err != nil {
		return "", fmt.Errorf("render handbook page: %w", err)
	}
	return template.HTML(buf.String()), nil //nolint:gosec // goldmark escapes; raw HTML is off
}
