// Package yamlconf reads YAML configuration files so that every problem is
// reported at once with file, line and key: unknown keys, wrong types and
// the problems a section's Validate finds. The site and the fleet
// configuration both load through it.
package yamlconf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/lifeline-project/lifeline/internal/validate"
)

// Problem is one thing wrong in a configuration file.
type Problem struct {
	File string
	Line int
	Key  string
	Msg  string
}

// String formats the problem as "file:line: key: message".
func (p Problem) String() string {
	loc := p.File
	if p.Line > 0 {
		loc += ":" + strconv.Itoa(p.Line)
	}
	if p.Key != "" {
		return fmt.Sprintf("%s: %s: %s", loc, p.Key, p.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, p.Msg)
}

// Error lists every problem of a configuration file.
type Error struct {
	Problems []Problem
}

// Error formats all problems, one per line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return fmt.Sprintf("configuration has %d problem(s):\n%s", len(e.Problems), strings.Join(lines, "\n"))
}

// AsError returns the *Error inside err, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Lines maps key paths ("checks[2].url") to their line in the file.
type Lines map[string]int

// Of returns the line of key, or of its nearest parent, or 0.
func (l Lines) Of(key string) int {
	for key != "" {
		if n, ok := l[key]; ok {
			return n
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return 0
}

// Decoded is the outcome of Decode: the key lines and the problems found
// while decoding.
type Decoded struct {
	File     string
	Lines    Lines
	Problems []Problem
	// Broken is true when the file is not YAML at all; v is then untouched.
	Broken bool
}

// Decode decodes data into v, refusing unknown keys, and collects every
// decoding problem with its line. example names the file to compare
// spellings with ("examples/site.yaml").
func Decode(path string, data []byte, v any, example string) Decoded {
	d := Decoded{File: path, Lines: Lines{}}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		d.Problems = append(d.Problems, problem(path, err.Error(), example))
		d.Broken = true
		return d
	}
	if len(root.Content) > 0 {
		indexLines(root.Content[0], "", d.Lines)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, e := range te.Errors {
				d.Problems = append(d.Problems, problem(path, e, example))
			}
		} else {
			d.Problems = append(d.Problems, problem(path, err.Error(), example))
		}
	}
	return d
}

// Finish adds the problems of validation (keys relative to the file's
// root) and returns an *Error with all problems sorted by line, or nil.
func (d Decoded) Finish(ps validate.Problems) error {
	problems := append([]Problem{}, d.Problems...)
	for _, p := range ps {
		problems = append(problems, Problem{File: d.File, Line: d.Lines.Of(p.Key), Key: p.Key, Msg: p.Msg})
	}
	if len(problems) == 0 {
		return nil
	}
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
	return &Error{Problems: problems}
}

// Check turns validation problems of a configuration assembled in code
// (no file lines) into an *Error, or nil.
func Check(file string, ps validate.Problems) error {
	return Decoded{File: file, Lines: Lines{}}.Finish(ps)
}

var lineRE = regexp.MustCompile(`^line (\d+): (.*)$`)

func problem(path, msg, example string) Problem {
	msg = strings.TrimPrefix(msg, "yaml: ")
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		inner := m[2]
		if f, ok := strings.CutPrefix(inner, "field "); ok {
			if name, _, ok := strings.Cut(f, " not found"); ok {
				return Problem{File: path, Line: n, Key: name, Msg: "unknown key; check the spelling against " + example}
			}
		}
		return Problem{File: path, Line: n, Msg: inner}
	}
	return Problem{File: path, Msg: msg}
}

// indexLines records the line of every key path ("checks[2].url").
func indexLines(n *yaml.Node, prefix string, out Lines) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if prefix != "" {
				p = prefix + "." + k.Value
			}
			out[p] = k.Line
			indexLines(v, p, out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", prefix, i)
			out[p] = c.Line
			indexLines(c, p, out)
		}
	}
}
