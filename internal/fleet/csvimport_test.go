package fleet

import (
	"strings"
	"testing"
)

func TestParseSitesCSV(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		ids     []string
		wantErr []string
	}{
		{"semicolons, comments, bom, defaults", "\ufeff# Bezirk Süd\nid;name;timezone;state;window;contacts;ring\n" +
			"Apo-1;Rosen-Apotheke;Europe/Berlin;by;Mo-Fr 01:00-05:00;Frau Muster;test\n\napo-2;Dom-Apotheke;;NW;täglich 02:00-04:00;;\n",
			[]string{"apo-1", "apo-2"}, nil},
		{"commas and German headers in another order", "bundesland,standort,name,wartungsfenster\nHH,apo-3,\"Elbe, Apotheke\",So 02:00-04:00\n",
			[]string{"apo-3"}, nil},
		{"every bad line reported", "id;name;state;window\napo-1;A;XX;Mo 01:00-02:00\napo-2;;BY;nie\napo-1;C;BY;Mo 01:00-02:00\n", nil,
			[]string{"line 2: state", "line 3: name", "line 3: window", "line 4: id \"apo-1\" appears twice"}},
		{"missing column", "id;name;state\napo-1;A;BY\n", nil, []string{"column \"window\" is missing"}},
		{"unknown column", "id;name;state;window;farbe\n", nil, []string{"unknown column \"farbe\""}},
		{"too many fields", "id;name;state;window\napo-1;A;BY;Mo 01:00-02:00;x\n", nil, []string{"line 2: 5 fields"}},
		{"empty", "# nur ein Kommentar\n", nil, []string{"empty"}},
		{"header only", "id;name;state;window\n", nil, []string{"no sites"}},
		{"not utf-8", "id;name;state;window\napo-1;M\xfcller;BY;Mo 01:00-02:00\n", nil, []string{"UTF-8"}},
		{"broken quotes", "id;name;state;window\napo-1;\"A;BY;Mo 01:00-02:00\n", nil, []string{"line"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sites, err := ParseSitesCSV(strings.NewReader(tt.in))
			if tt.wantErr != nil {
				if ErrorCode(err) != EINVALID {
					t.Fatalf("got %v; want EINVALID", err)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(ErrorMessage(err, "en"), w) {
						t.Errorf("error %q lacks %q", ErrorMessage(err, "en"), w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v; want no error", err)
			}
			var ids []string
			for _, s := range sites {
				ids = append(ids, s.ID)
			}
			if strings.Join(ids, ",") != strings.Join(tt.ids, ",") {
				t.Errorf("ids: got %v; want %v", ids, tt.ids)
			}
		})
	}
	sites, _ := ParseSitesCSV(strings.NewReader("id;name;state;window;ring\napo-1;A;by;Mo 01:00-02:00;test\n"))
	if s := sites[0]; s.State != "BY" || s.Timezone != "Europe/Berlin" || s.Ring != "test" {
		t.Errorf("normalised site: got %+v", s)
	}
}

func FuzzParseSitesCSV(f *testing.F) {
	f.Add("id;name;timezone;state;window;contacts;ring\napo-1;A;Europe/Berlin;BY;Mo-Fr 01:00-05:00;;test\n")
	f.Add("standort,name,bundesland,wartungsfenster\napo-2,\"B, C\",NW,täglich 02:00-04:00\n")
	f.Add("\ufeffid;name;state;window\n\"a\"\"b\";x;y;z\n")
	f.Fuzz(func(t *testing.T, in string) {
		sites, err := ParseSitesCSV(strings.NewReader(in))
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("error without EINVALID: %v", err)
			}
			return
		}
		for _, s := range sites {
			if ps := s.Validate(checkWindow); len(ps) > 0 {
				t.Fatalf("accepted an invalid site %+v: %v", s, ps)
			}
		}
	})
}

func TestEnrolmentCodes(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		c, err := newEnrolmentCode()
		if err != nil {
			t.Fatal(err)
		}
		if len(c) != 24 || strings.Count(c, "-") != 4 || seen[c] {
			t.Fatalf("code %q: want 5 groups of 4, unique", c)
		}
		seen[c] = true
		if n := NormalizeCode(strings.ToLower(strings.ReplaceAll(c, "-", " "))); n != strings.ReplaceAll(c, "-", "") {
			t.Errorf("normalise %q: got %q", c, n)
		}
	}
	if got := NormalizeCode("7k2m-q9xd oil"); got != "7K2MQ9XD011" {
		t.Errorf("normalise with look-alike letters: got %q; want 7K2MQ9XD011", got)
	}
}
