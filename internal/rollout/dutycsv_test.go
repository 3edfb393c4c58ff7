package rollout

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestImportDutyCSV(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Duty
		// wantErrs lists "line field" of every expected problem.
		wantErrs []string
	}{
		{
			name: "header, comment, both date forms, note optional",
			in: "\ufeff# Notdienste Juni 2026\n" +
				"site;date;start;end;note\n" +
				"apo-koeln-3;2026-06-04;08:30;08:30;Notdienst 24 h\n" +
				"\n" +
				"APO-KOELN-3;13.06.2026;20:00;06:00;\"Nacht; Nord\"\n" +
				"apo-bonn-1; 2026-06-05 ; 9:00 ;09:00\n",
			want: []Duty{
				{SiteID: "apo-koeln-3", Date: date(2026, 6, 4), Start: 510, End: 510, Note: "Notdienst 24 h"},
				{SiteID: "apo-koeln-3", Date: date(2026, 6, 13), Start: 1200, End: 360, Note: "Nacht; Nord"},
				{SiteID: "apo-bonn-1", Date: date(2026, 6, 5), Start: 540, End: 540},
			},
		},
		{
			name: "commas when the first record has no semicolon",
			in:   "site,date,start,end,note\napo-1,2026-06-04,08:30,08:30,x\n",
			want: []Duty{{SiteID: "apo-1", Date: date(2026, 6, 4), Start: 510, End: 510, Note: "x"}},
		},
		{
			name: "no header, trailing separator, end 24:00",
			in:   "apo-1;2026-06-04;00:00;24:00;;\n",
			want: []Duty{{SiteID: "apo-1", Date: date(2026, 6, 4), Start: 0, End: Midnight24}},
		},
		{
			name: "empty file",
			in:   "",
			want: nil,
		},
		{
			name: "every problem with line and field",
			in: "site;date;start;end;note\n" +
				"apo-1;2026-06-04;08:30;08:30\n" +
				"apo 2;2026-06-31;8.30;25:00\n" +
				"apo-3;2026-06-04\n" +
				"apo-4;2026-06-04;24:00;08:30;x\n" +
				"apo-5;2026-06-04;08:30;08:30;Zeile\u0007\n",
			wantErrs: []string{"3 site", "3 date", "3 start", "3 end", "4 ", "5 start", "6 note"},
		},
		{
			name:     "a quote left open swallows the next line into the note",
			in:       "apo-1;2026-06-04;08:30;08:30;\"open\napo-2;2026-06-05;08:30;08:30\n",
			wantErrs: []string{"1 note"},
		},
		{
			name: "bare quotes inside a field are text",
			in:   "apo-1;2026-06-04;08:30;08:30;Apotheke \"Zur Post\"\n",
			want: []Duty{{SiteID: "apo-1", Date: date(2026, 6, 4), Start: 510, End: 510, Note: `Apotheke "Zur Post"`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ImportDutyCSV(strings.NewReader(tt.in))
			if len(tt.wantErrs) > 0 {
				var ies ImportErrors
				if !errors.As(err, &ies) {
					t.Fatalf("got %v, %v; want ImportErrors", got, err)
				}
				if got != nil {
					t.Errorf("got %d duties with errors; want none", len(got))
				}
				var where []string
				for _, e := range ies {
					where = append(where, strings.TrimSpace(strconv.Itoa(e.Line)+" "+e.Field))
					if e.Message.DE == "" || e.Message.EN == "" {
						t.Errorf("line %d %s: message not in both languages: %+v", e.Line, e.Field, e.Message)
					}
				}
				var want []string
				for _, w := range tt.wantErrs {
					want = append(want, strings.TrimSpace(w))
				}
				if !reflect.DeepEqual(where, want) {
					t.Errorf("got problems %q; want %q\n%v", where, want, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ImportDutyCSV: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v; want %+v", got, tt.want)
			}
		})
	}
}

func TestImportDutyCSVErrorText(t *testing.T) {
	_, err := ImportDutyCSV(strings.NewReader("apo-1;2026-13-01;08:30;08:30\n"))
	if err == nil {
		t.Fatal("no error")
	}
	want := `Zeile 1, date: "2026-13-01" ist kein Datum wie 2026-06-04 oder 04.06.2026 ("2026-13-01" is not a date like 2026-06-04 or 04.06.2026)`
	if err.Error() != want {
		t.Errorf("got %q; want %q", err.Error(), want)
	}
}

func TestImportDutyCSVLimitsErrors(t *testing.T) {
	var b strings.Builder
	for range 500 {
		b.WriteString("bad line\n")
	}
	_, err := ImportDutyCSV(strings.NewReader(b.String()))
	var ies ImportErrors
	if !errors.As(err, &ies) || len(ies) != maxImportErrors {
		t.Errorf("got %d problems; want %d", len(ies), maxImportErrors)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestImportDutyCSVReadError(t *testing.T) {
	if _, err := ImportDutyCSV(failingReader{}); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("got %v; want the reader's error", err)
	}
}

func TestWriteDutyCSVRoundTrip(t *testing.T) {
	in := []Duty{
		{SiteID: "apo-1", Date: date(2026, 6, 4), Start: 510, End: 510, Note: `Notdienst "Nord"; 24 h`},
		{SiteID: "apo-2", Date: date(2027, 1, 1), Start: 1200, End: 360},
	}
	var buf bytes.Buffer
	if err := WriteDutyCSV(&buf, in); err != nil {
		t.Fatal(err)
	}
	got, err := ImportDutyCSV(&buf)
	if err != nil || !reflect.DeepEqual(got, in) {
		t.Errorf("round trip = %+v, %v; want %+v", got, err, in)
	}
}

func FuzzImportDutyCSV(f *testing.F) {
	f.Add("site;date;start;end;note\napo-1;2026-06-04;08:30;08:30;Notdienst\n")
	f.Add("apo-1,04.06.2026,20:00,06:00\n")
	f.Add("# x\n\ufeffapo-1;2026-06-04;0:00;24:00;\"a;\"\"b\"\n")
	f.Add("apo-1;2026-06-04;08:30;08:30;\"open\n")
	f.Add(";;;;;;\n\"\n")
	f.Fuzz(func(t *testing.T, s string) {
		duties, err := ImportDutyCSV(strings.NewReader(s))
		if err != nil {
			var ies ImportErrors
			if !errors.As(err, &ies) || len(ies) == 0 || len(ies) > maxImportErrors {
				t.Fatalf("error %v is not a list of 1 to %d import errors", err, maxImportErrors)
			}
			for _, e := range ies {
				if e.Line < 1 {
					t.Fatalf("problem without a line: %+v", e)
				}
			}
			return
		}
		for _, d := range duties {
			if err := d.Validate(); err != nil {
				t.Fatalf("imported duty %+v does not validate: %v", d, err)
			}
		}
		var buf bytes.Buffer
		if err := WriteDutyCSV(&buf, duties); err != nil {
			t.Fatal(err)
		}
		back, err := ImportDutyCSV(&buf)
		if err != nil {
			t.Fatalf("written rota does not import: %v\n%s", err, buf.String())
		}
		if len(back) != len(duties) || (len(back) > 0 && !reflect.DeepEqual(back, duties)) {
			t.Fatalf("round trip = %+v; want %+v", back, duties)
		}
	})
}
