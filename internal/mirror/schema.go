package mirror

import (
	"time"
)

// Schema describes one data set's record format, shared by the CSV and the
// JSON feed: the same field names, the same validation.
type Schema struct {
	Dataset Dataset
	// Version is the schema version; see Dataset.SchemaVersion.
	Version int
	// Columns are the field names in documented order.
	Columns []string
	// Required are the columns a CSV header must contain; the others may be
	// left out and then read as empty.
	Required []string
	// CSV is false for data sets that are not imported from CSV (the
	// handbook comes as Markdown).
	CSV bool
	// Decode reads and validates one record from its fields by name;
	// local wall-clock times are read in loc.
	Decode func(get func(string) string, loc *time.Location) (Record, []FieldError)
}

var schemas = map[Dataset]Schema{
	Articles: {
		Dataset: Articles, Version: 1, Columns: ArticleColumns, CSV: true,
		Required: ArticleColumns,
		Decode: func(get func(string) string, _ *time.Location) (Record, []FieldError) {
			return DecodeArticle(get)
		},
	},
	Contacts: {
		Dataset: Contacts, Version: 1, Columns: ContactColumns, CSV: true,
		Required: []string{"id", "kind", "name", "phone"},
		Decode: func(get func(string) string, _ *time.Location) (Record, []FieldError) {
			return DecodeContact(get)
		},
	},
	Duty: {
		Dataset: Duty, Version: 1, Columns: DutyColumns, CSV: true,
		Required: []string{"start", "end", "name"},
		Decode: func(get func(string) string, loc *time.Location) (Record, []FieldError) {
			return DecodeDuty(get, loc)
		},
	},
	Patients: {
		Dataset: Patients, Version: 1, Columns: PatientColumns, CSV: true,
		Required: []string{"customer_no", "name", "drugs"},
		Decode: func(get func(string) string, _ *time.Location) (Record, []FieldError) {
			return DecodePatient(get)
		},
	},
	Handbook: {
		Dataset: Handbook, Version: 1, Columns: PageColumns, CSV: false,
		Required: []string{"slug", "title", "markdown"},
		Decode: func(get func(string) string, _ *time.Location) (Record, []FieldError) {
			return DecodePage(get)
		},
	},
}

// SchemaOf returns the schema of a data set; ok is false for an unknown one.
func SchemaOf(d Dataset) (Schema, bool) {
	s, ok := schemas[d]
	return s, ok
}
