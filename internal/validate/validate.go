// Package validate carries configuration problems from the packages that
// own a config section to the config loader, which adds file and line.
package validate

import "fmt"

// Problem is one thing wrong in a configuration section. Key is the path of
// the offending key relative to the section ("sources[0].url"); the config
// loader prefixes the section and looks up the line.
type Problem struct {
	Key string
	Msg string
}

// Error formats the problem without a line.
func (p Problem) Error() string { return fmt.Sprintf("%s: %s", p.Key, p.Msg) }

// Problems collects problems.
type Problems []Problem

// Add appends a problem with a formatted message.
func (ps *Problems) Add(key, format string, args ...any) {
	*ps = append(*ps, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
}

// Prefixed returns the problems with prefix+"." put before every key.
func (ps Problems) Prefixed(prefix string) Problems {
	out := make(Problems, len(ps))
	for i, p := range ps {
		k := prefix
		if p.Key != "" {
			k += "." + p.Key
		}
		out[i] = Problem{Key: k, Msg: p.Msg}
	}
	return out
}
