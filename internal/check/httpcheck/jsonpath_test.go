package httpcheck

import (
	"errors"
	"strings"
	"testing"
)

func TestLookupJSON(t *testing.T) {
	doc := `{"a":{"b":"x","n":1.50,"t":false,"o":{"k":[1,2]},"e":""},"l":[{"s":"up"}]}`
	tests := []struct {
		name    string
		body    string
		path    string
		want    string
		wantErr bool
		notJSON bool
	}{
		{"string", doc, "a.b", "x", false, false},
		{"number as written", doc, "a.n", "1.50", false, false},
		{"bool", doc, "a.t", "false", false, false},
		{"object", doc, "a.o", `{"k":[1,2]}`, false, false},
		{"empty string", doc, "a.e", "", false, false},
		{"array index", doc, "l.0.s", "up", false, false},
		{"array index out of range", doc, "l.1.s", "", true, false},
		{"array non-number", doc, "l.x", "", true, false},
		{"missing", doc, "a.z", "", true, false},
		{"through a scalar", doc, "a.b.c", "", true, false},
		{"top level array", `[{"s":"ok"}]`, "0.s", "ok", false, false},
		{"invalid", `{"a":`, "a", "", true, true},
		{"trailing data", `{"a":1} {"a":2}`, "a", "", true, true},
		{"html", `<html>`, "a", "", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lookupJSON([]byte(tt.body), strings.Split(tt.path, "."))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error: got %v; want error %v", err, tt.wantErr)
			}
			if errors.Is(err, errNotJSON) != tt.notJSON {
				t.Errorf("errNotJSON: got %v; want %v", errors.Is(err, errNotJSON), tt.notJSON)
			}
			if got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}

func FuzzLookupJSON(f *testing.F) {
	f.Add([]byte(`{"status":{"db":"ok"}}`), "status.db")
	f.Add([]byte(`[1,[2,{"a":null}]]`), "1.1.a")
	f.Add([]byte(`{"a":`), "a")
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		got, err := lookupJSON(body, strings.Split(path, "."))
		if err != nil && got != "" {
			t.Errorf("got %q with error %v; want empty value on error", got, err)
		}
	})
}
