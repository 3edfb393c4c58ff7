package nut

import (
	"errors"
	"fmt"
	"strings"
)

// MaxLineLength is the longest protocol line the client and the server
// accept. upsd itself keeps lines far shorter; anything longer is a broken
// or hostile peer.
const MaxLineLength = 8192

// SplitLine splits one protocol line into words the way the NUT parser
// (parseconf) does: words are separated by spaces or tabs, a double quote
// starts and ends a multi-word element, and a backslash makes the next
// character literal (so \" is a quote and \\ a backslash), inside or
// outside quotes. An empty quoted string ("") is an empty word. A trailing
// carriage return or newline is ignored.
func SplitLine(line string) ([]string, error) {
	line = strings.TrimRight(line, "\r\n")
	var (
		words   []string
		cur     strings.Builder
		inWord  bool // cur holds a word, possibly empty ("")
		inQuote bool
		escaped bool
	)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\n' || c == '\r' || c == 0:
			return nil, fmt.Errorf("control character %q at position %d inside a line", c, i)
		case escaped:
			cur.WriteByte(c)
			escaped = false
		case c == '\\':
			escaped, inWord = true, true
		case c == '"':
			inQuote, inWord = !inQuote, true
		case !inQuote && (c == ' ' || c == '\t'):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if escaped {
		return nil, errors.New("line ends in a lone backslash")
	}
	if inQuote {
		return nil, errors.New("line ends inside a quoted value (missing closing \")")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// Quote returns s as a double-quoted protocol element, escaping backslashes
// and double quotes with a backslash, as upsd does for variable values.
func Quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// word returns s ready to be sent as one element of a command: unchanged
// when it is a plain word, quoted otherwise. It refuses line breaks and NUL,
// which would let a value inject a second command.
func word(s string) (string, error) {
	if strings.ContainsAny(s, "\r\n\x00") {
		return "", fmt.Errorf("%q contains a line break; NUT names and values must be on one line", s)
	}
	if s == "" || strings.ContainsAny(s, " \t\"\\") {
		return Quote(s), nil
	}
	return s, nil
}
