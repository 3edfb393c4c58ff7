package gen

// Catalogues of the synthetic hospital: German names, problems, drugs,
// allergies, vital signs and labs. Codes are real (SNOMED CT, LOINC, ATC)
// so that the data looks like what an EHR exports.

func familyNames() []string {
	return []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
		"Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz",
		"Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Schmitz", "Krause",
		"Meier", "Lehmann", "Schmid", "Schulze", "Maier", "Köhler", "Herrmann", "König", "Walter", "Mayer", "Huber",
		"Kaiser", "Fuchs", "Peters", "Lang", "Scholz", "Möller", "Weiß", "Jung", "Hahn", "Schubert", "Vogel",
		"Friedrich", "Keller", "Günther", "Frank", "Berger", "Winkler", "Roth", "Beck", "Lorenz", "Baumann",
		"Franke", "Albrecht", "Schuster", "Simon", "Ludwig", "Böhm", "Winter", "Kraus", "Martin", "Schumacher",
		"Krämer", "Vogt", "Stein", "Jäger", "Otto", "Sommer", "Groß", "Seidel", "Heinrich", "Brandt", "Haas",
		"Schreiber", "Graf", "Schulte", "Dietrich", "Ziegler", "Kuhn", "Kühn", "Pohl", "Engel", "Horn", "Busch",
		"Bergmann", "Thomas", "Voigt", "Sauer", "Arnold", "Wolff", "Pfeiffer", "Yılmaz", "Kowalski", "Nowak",
		"Popescu", "Öztürk", "Dąbrowski", "Nguyen", "Rossi"}
}

func femaleNames() []string {
	return []string{"Anna", "Maria", "Ursula", "Monika", "Elisabeth", "Petra", "Sabine", "Renate", "Helga", "Karin",
		"Brigitte", "Ingrid", "Erika", "Andrea", "Gisela", "Claudia", "Susanne", "Gabriele", "Christa", "Christine",
		"Hildegard", "Uta", "Jutta", "Marianne", "Doris", "Heike", "Julia", "Lena", "Sophie", "Emma", "Mia",
		"Hannah", "Lea", "Laura", "Sarah", "Katharina", "Jürgen", "Zoë", "Ayşe", "Małgorzata"}
}

func maleNames() []string {
	return []string{"Peter", "Michael", "Thomas", "Andreas", "Wolfgang", "Klaus", "Jürgen", "Günter", "Stefan",
		"Christian", "Uwe", "Werner", "Horst", "Frank", "Dieter", "Manfred", "Gerhard", "Hans", "Bernd", "Torsten",
		"Helmut", "Walter", "Heinz", "Rolf", "Jörg", "Karl", "Lukas", "Leon", "Finn", "Jonas", "Paul", "Felix",
		"Ben", "Elias", "Noah", "Mehmet", "Piotr", "Matthias", "Sebastian", "Björn"}
}

type problem struct {
	code, display string
	// chronic problems stay active and get a drug.
	chronic bool
	drug    int // index into drugs(), -1 none
}

func problems() []problem {
	return []problem{
		{"38341003", "Arterielle Hypertonie", true, 0},
		{"44054006", "Diabetes mellitus Typ 2", true, 1},
		{"49436004", "Vorhofflimmern", true, 2},
		{"42343007", "Herzinsuffizienz", true, 3},
		{"13645005", "Chronisch obstruktive Lungenerkrankung (COPD)", true, 4},
		{"709044004", "Chronische Nierenkrankheit", true, -1},
		{"55822004", "Hyperlipidämie", true, 5},
		{"35489007", "Depression", true, 6},
		{"396275006", "Arthrose", true, 7},
		{"40055000", "Chronische Sinusitis", false, -1},
		{"233604007", "Pneumonie", false, 8},
		{"68566005", "Harnwegsinfekt", false, 9},
		{"26929004", "Alzheimer-Demenz", true, -1},
		{"230690007", "Schlaganfall", false, 10},
		{"22298006", "Myokardinfarkt", false, 10},
		{"125605004", "Oberschenkelhalsfraktur", false, -1},
		{"235595009", "Gastroösophageale Refluxkrankheit", true, 11},
		{"195967001", "Asthma bronchiale", true, 4},
	}
}

type drug struct {
	atc, name, dosage string
	perDay            int
}

func drugs() []drug {
	return []drug{
		{"C07AB02", "Metoprololsuccinat 47,5 mg Retardtablette", "1-0-1", 2},
		{"A10BA02", "Metformin 1000 mg Filmtablette", "1-0-1", 2},
		{"B01AF02", "Apixaban 5 mg Filmtablette", "1-0-1", 2},
		{"C03CA04", "Torasemid 10 mg Tablette", "1-0-0", 1},
		{"R03AK06", "Salmeterol/Fluticason 50/500 µg Inhalation", "1-0-1 Hub", 2},
		{"C10AA05", "Atorvastatin 20 mg Filmtablette", "0-0-1", 1},
		{"N06AB06", "Sertralin 50 mg Filmtablette", "1-0-0", 1},
		{"M01AE01", "Ibuprofen 400 mg Filmtablette", "bei Bedarf, max. 3× täglich", 0},
		{"J01CR02", "Amoxicillin/Clavulansäure 875/125 mg Filmtablette", "1-0-1", 2},
		{"J01MA02", "Ciprofloxacin 500 mg Filmtablette", "1-0-1", 2},
		{"B01AC06", "Acetylsalicylsäure 100 mg Tablette", "1-0-0", 1},
		{"A02BC02", "Pantoprazol 40 mg magensaftresistente Tablette", "1-0-0", 1},
		{"B01AB05", "Enoxaparin 40 mg Fertigspritze s.c.", "0-0-1", 1},
		{"N02BB02", "Metamizol 500 mg Tablette", "1-1-1-1", 4},
		{"H02AB06", "Prednisolon 20 mg Tablette", "1-0-0", 1},
		{"C09AA05", "Ramipril 5 mg Tablette", "1-0-0", 1},
	}
}

// inpatientDrugs are indexes into drugs() ordered on a ward.
func inpatientDrugs() []int { return []int{11, 12, 13, 0, 15, 8, 14} }

type allergen struct {
	code, display, category, criticality, reaction, severity string
}

func allergens() []allergen {
	return []allergen{
		{"764146007", "Penicillin", "medication", "high", "Anaphylaxie", "severe"},
		{"373270004", "Metamizol", "medication", "high", "Agranulozytose", "severe"},
		{"293637006", "Jodhaltiges Kontrastmittel", "medication", "high", "Urtikaria, Atemnot", "moderate"},
		{"111088007", "Latex", "environment", "low", "Kontaktdermatitis", "mild"},
		{"256349002", "Erdnüsse", "food", "high", "Anaphylaxie", "severe"},
		{"387207008", "Ibuprofen", "medication", "low", "Hautausschlag", "mild"},
		{"372687004", "Amoxicillin", "medication", "high", "Quincke-Ödem", "severe"},
		{"256259004", "Pollen", "environment", "low", "Rhinitis", "mild"},
	}
}

type vital struct {
	loinc, display, unit string
	mean, sd             float64
	decimals             int
}

func vitals() []vital {
	return []vital{
		{"8867-4", "Herzfrequenz", "/min", 78, 12, 0},
		{"8310-5", "Körpertemperatur", "Cel", 37.0, 0.5, 1},
		{"59408-5", "Sauerstoffsättigung", "%", 95, 2.5, 0},
		{"9279-1", "Atemfrequenz", "/min", 16, 3, 0},
	}
}

type lab struct {
	loinc, display, unit string
	low, high            float64
	decimals             int
}

func labs() []lab {
	return []lab{
		{"2823-3", "Kalium", "mmol/L", 3.5, 5.1, 1},
		{"2951-2", "Natrium", "mmol/L", 135, 145, 0},
		{"2160-0", "Kreatinin", "mg/dL", 0.6, 1.2, 2},
		{"718-7", "Hämoglobin", "g/dL", 12, 16, 1},
		{"6690-2", "Leukozyten", "10*3/uL", 4, 10, 1},
		{"777-3", "Thrombozyten", "10*3/uL", 150, 400, 0},
		{"1988-5", "C-reaktives Protein", "mg/L", 0, 5, 1},
		{"2345-7", "Glukose", "mg/dL", 70, 110, 0},
	}
}

type procedureDef struct{ code, display string }

func procedureDefs() []procedureDef {
	return []procedureDef{
		{"73761001", "Koloskopie"}, {"80146002", "Appendektomie"}, {"387713003", "Operation"},
		{"232717009", "Koronarangiographie"}, {"399208008", "Röntgen Thorax"}, {"241615005", "MRT Kopf"},
		{"52734007", "Hüft-Totalendoprothese"}, {"18286008", "Katheterablation"}, {"29303009", "EKG"},
		{"433236007", "Sonographie Abdomen"},
	}
}

type wardDef struct{ id, name string }

func wardDefs() []wardDef {
	return []wardDef{
		{"ward-1a", "Station 1A Innere Medizin"}, {"ward-2b", "Station 2B Chirurgie"},
		{"ward-3c", "Station 3C Kardiologie"}, {"ward-its", "Intensivstation"},
		{"ward-4g", "Station 4 Geriatrie"}, {"ward-5n", "Station 5 Neurologie"},
		{"ward-6o", "Station 6 Orthopädie"}, {"ward-7u", "Station 7 Urologie"},
	}
}
