// Package config reads the site node's YAML configuration file. Load decodes
// it, applies defaults and validates every key, reporting every problem at
// once with the file, line and key, so that a pharmacy's IT service can fix
// the file in one pass. Nothing starts with an invalid configuration.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/lifeline-project/lifeline/internal/alert"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/mirror"
)

// Site is the configuration of `lifeline site`.
type Site struct {
	// Listen is the address of the dashboard and API (default 127.0.0.1:8080).
	Listen string `yaml:"listen"`
	// DataDir holds the databases and keys; relative paths are relative to
	// the configuration file's folder. Default: "data" beside the file.
	DataDir string `yaml:"data_dir"`
	// SiteName is shown on the dashboard and in messages.
	SiteName string `yaml:"site_name"`
	// Language of the user interface: "de" (default) or "en".
	Language string `yaml:"language"`
	// Timezone is the IANA zone of the site's wall clock (default Europe/Berlin).
	Timezone string `yaml:"timezone"`
	// MetricsPublic serves /metrics without login when true.
	MetricsPublic bool `yaml:"metrics_public"`
	// Log configures logging.
	Log Log `yaml:"log"`
	// Checks are the dependencies to watch.
	Checks []check.Spec `yaml:"checks"`
	// Alert routes outages to the people on call (internal/alert).
	Alert alert.Config `yaml:"alert"`
	// Mirror is the downtime copy: articles, contacts, priority patients,
	// handbook (internal/mirror).
	Mirror mirror.Config `yaml:"mirror"`

	// file is the path the configuration was read from.
	file string
}

// Log configures logging: to stderr by default, or to a rotating file.
type Log struct {
	// Level is debug, info (default), warn or error.
	Level string `yaml:"level"`
	// File, when set, receives the log, rotated at 10 MB, 5 files kept.
	File string `yaml:"file"`
}

// File returns the path the configuration was loaded from.
func (s *Site) File() string { return s.file }

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

// Load reads, defaults and validates the site configuration at path.
func Load(path string) (*Site, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	return Parse(path, data)
}

var lineRE = regexp.MustCompile(`^line (\d+): (.*)$`)

// Parse decodes and validates a site configuration; path names the file in
// messages and anchors relative paths.
func Parse(path string, data []byte) (*Site, error) {
	s := &Site{file: path}
	var root yaml.Node
	var problems []Problem
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &Error{Problems: []Problem{yamlProblem(path, err)}}
	}
	lines := map[string]int{}
	if len(root.Content) > 0 {
		indexLines(root.Content[0], "", lines)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(s); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, e := range te.Errors {
				problems = append(problems, lineProblem(path, e))
			}
		} else {
			problems = append(problems, yamlProblem(path, err))
		}
	}
	s.applyDefaults()
	for _, p := range s.validate() {
		problems = append(problems, Problem{File: path, Line: lookupLine(lines, p.Key), Key: p.Key, Msg: p.Msg})
	}
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
		return nil, &Error{Problems: problems}
	}
	return s, nil
}

func yamlProblem(path string, err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	return lineProblem(path, msg)
}

func lineProblem(path, msg string) Problem {
	msg = strings.TrimPrefix(msg, "yaml: ")
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		inner := m[2]
		if f, ok := strings.CutPrefix(inner, "field "); ok {
			if name, _, ok := strings.Cut(f, " not found"); ok {
				return Problem{File: path, Line: n, Key: name, Msg: "unknown key; check the spelling against examples/site.yaml"}
			}
		}
		return Problem{File: path, Line: n, Msg: inner}
	}
	return Problem{File: path, Msg: msg}
}

// indexLines records the line of every key path ("checks[2].url").
func indexLines(n *yaml.Node, prefix string, out map[string]int) {
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

// lookupLine finds the line of key, or of its nearest parent.
func lookupLine(lines map[string]int, key string) int {
	for key != "" {
		if n, ok := lines[key]; ok {
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

// resolve makes p absolute relative to the configuration file's folder.
func (s *Site) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(s.file), p)
}

// Build applies defaults to a configuration assembled in code (the demo,
// tests) and validates it like a file; file anchors relative paths.
func Build(s Site, file string) (*Site, error) {
	s.file = file
	s.applyDefaults()
	var problems []Problem
	for _, p := range s.validate() {
		problems = append(problems, Problem{File: file, Key: p.Key, Msg: p.Msg})
	}
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	return &s, nil
}
