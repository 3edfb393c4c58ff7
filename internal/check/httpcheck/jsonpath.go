package httpcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// errNotJSON says the body is not one JSON value.
var errNotJSON = errors.New("body is not valid JSON")

// lookupJSON finds the value at path (the parts of a dotted path such as
// "status.db") in a JSON document and returns it as text: strings as they
// are, numbers as written, true/false, null, and objects or arrays as
// compact JSON. A part that is a whole number also indexes an array
// ("items.0.state").
func lookupJSON(body []byte, path []string) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("%w: %w", errNotJSON, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", fmt.Errorf("%w: data after the JSON value", errNotJSON)
	}
	for i, part := range path {
		switch node := v.(type) {
		case map[string]any:
			next, ok := node[part]
			if !ok {
				return "", fmt.Errorf("no field %q at %d of the path", part, i+1)
			}
			v = next
		case []any:
			n, err := strconv.Atoi(part)
			if err != nil || n < 0 || n >= len(node) {
				return "", fmt.Errorf("no element %q at %d of the path", part, i+1)
			}
			v = node[n]
		default:
			return "", fmt.Errorf("no field %q at %d of the path: not an object", part, i+1)
		}
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	case nil:
		return "null", nil
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return "", fmt.Errorf("field value cannot be written: %w", err)
		}
		return string(b), nil
	}
}
