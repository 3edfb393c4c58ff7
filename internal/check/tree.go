package check

import "sort"

// Node is one check in the dependency tree.
type Node struct {
	ID        string
	State     State
	DependsOn []string
}

// Verdict is the evaluated position of one check in the tree.
type Verdict struct {
	// Consequence is true when an ancestor (direct or not) is down: this
	// check's trouble is explained by that ancestor.
	Consequence bool
	// CausedBy lists the root causes upstream of this check, sorted.
	CausedBy []string
}

// Tree is the evaluated dependency tree of all checks.
type Tree struct {
	Verdicts map[string]Verdict
	// RootCauses are the checks that are down or degraded and not a
	// consequence of another check being down, sorted.
	RootCauses []string
	// Overall is the worst state among the checks: down > degraded >
	// unknown > ok.
	Overall State
}

// Evaluate computes root causes and consequences. Dependencies on unknown
// IDs are ignored; the config rejects them and cycles beforehand.
func Evaluate(nodes []Node) Tree {
	byID := make(map[string]Node, len(nodes))
	for _, n := range nodes {
		byID[n.ID] = n
	}
	// downRoots(id) = the root causes among the down ancestors of id.
	memo := make(map[string][]string, len(nodes))
	visiting := make(map[string]bool)
	var downRoots func(id string) []string
	downRoots = func(id string) []string {
		if r, ok := memo[id]; ok {
			return r
		}
		if visiting[id] {
			return nil // a cycle: the config forbids it; do not loop
		}
		visiting[id] = true
		set := map[string]bool{}
		for _, p := range byID[id].DependsOn {
			parent, ok := byID[p]
			if !ok {
				continue
			}
			up := downRoots(p)
			for _, r := range up {
				set[r] = true
			}
			if parent.State == StateDown && len(up) == 0 {
				set[p] = true
			}
		}
		visiting[id] = false
		out := make([]string, 0, len(set))
		for r := range set {
			out = append(out, r)
		}
		sort.Strings(out)
		memo[id] = out
		return out
	}
	t := Tree{Verdicts: make(map[string]Verdict, len(nodes)), Overall: StateOK}
	if len(nodes) == 0 {
		t.Overall = StateUnknown
	}
	for _, n := range nodes {
		roots := downRoots(n.ID)
		v := Verdict{Consequence: len(roots) > 0, CausedBy: roots}
		t.Verdicts[n.ID] = v
		if n.State.Severity() > t.Overall.Severity() {
			t.Overall = n.State
		}
		if !v.Consequence && (n.State == StateDown || n.State == StateDegraded) {
			t.RootCauses = append(t.RootCauses, n.ID)
		}
	}
	sort.Strings(t.RootCauses)
	return t
}
