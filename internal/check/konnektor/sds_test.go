package konnektor

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestParseSDSFixture(t *testing.T) {
	f, err := os.Open("testdata/connector.sds")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ParseSDS(f)
	if err != nil {
		t.Fatalf("ParseSDS: %v", err)
	}
	wantProduct := Product{
		Type: "Konnektor", TypeVersion: "5.1.0", VendorID: "MUSTR", Code: "MK-ONE",
		HWVersion: "2.0.0", FWVersion: "5.60.6",
		VendorName: "Muster Medizintechnik GmbH", Name: "Musterkonnektor One",
	}
	if diff := cmp.Diff(wantProduct, got.Product); diff != "" {
		t.Errorf("product got %+v; want %+v", got.Product, wantProduct)
	}
	if !got.TLSMandatory || !got.ClientAuthMandatory {
		t.Errorf("TLSMandatory, ClientAuthMandatory got %v, %v; want true, true", got.TLSMandatory, got.ClientAuthMandatory)
	}
	var names []string
	for _, s := range got.Services {
		names = append(names, s.Name)
	}
	wantNames := []string{"AuthSignatureService", "CardService", "CardTerminalService", "CertificateService",
		"EncryptionService", "EventService", "SignatureService", "VSDService"}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("services got %v; want %v", names, wantNames)
	}
	card, ok := got.Service("CardService")
	wantCard := []ServiceVersion{
		{Version: "8.1.2", TargetNamespace: "http://ws.gematik.de/conn/CardService/WSDL/v8.1", EndpointTLS: "https://konnektor.apotheke.local:443/ws/CardService"},
		{Version: "8.2.1", TargetNamespace: "http://ws.gematik.de/conn/CardService/WSDL/v8.2", EndpointTLS: "https://konnektor.apotheke.local:443/ws/CardService/v8.2"},
	}
	if !ok || !cmp.Equal(wantCard, card.Versions) {
		t.Errorf("CardService versions got %+v; want %+v", card.Versions, wantCard)
	}
	vsd, _ := got.Service("VSDService")
	if len(vsd.Versions) != 1 || vsd.Versions[0].Endpoint != "http://konnektor.apotheke.local:80/ws/VSDService" {
		t.Errorf("VSDService plain endpoint got %+v; want http://konnektor.apotheke.local:80/ws/VSDService", vsd.Versions)
	}
}

func TestParseSDSVariants(t *testing.T) {
	tests := []struct {
		name         string
		doc          string
		wantErr      string
		wantServices int
		wantVendor   string
	}{
		{
			name: "no prefixes, no product misc",
			doc: `<ConnectorServices><ProductInformation><ProductIdentification><ProductVendorID>X</ProductVendorID>` +
				`<ProductCode>Y</ProductCode></ProductIdentification></ProductInformation>` +
				`<ServiceInformation><Service Name="EventService"><Versions><Version Version="7.2.0"/></Versions></Service></ServiceInformation></ConnectorServices>`,
			wantServices: 1, wantVendor: "X",
		},
		{
			name:         "latin-1 declared",
			doc:          "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><ConnectorServices><ProductInformation><ProductMiscellaneous><ProductVendorName>M\xfcller</ProductVendorName></ProductMiscellaneous></ProductInformation></ConnectorServices>",
			wantServices: 0, wantVendor: "Müller",
		},
		{name: "html error page", doc: `<html><body>Login</body></html>`, wantErr: "not a Konnektor service directory"},
		{name: "broken xml", doc: `<ConnectorServices><ServiceInformation>`, wantErr: "not well-formed"},
		{name: "empty", doc: ``, wantErr: "not well-formed"},
		{name: "json", doc: `{"services":[]}`, wantErr: "not well-formed"},
		{name: "service without name", doc: `<ConnectorServices><ServiceInformation><Service/></ServiceInformation></ConnectorServices>`, wantErr: "without a Name"},
		{name: "unknown charset", doc: `<?xml version="1.0" encoding="EBCDIC"?><ConnectorServices/>`, wantErr: "EBCDIC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSDS(strings.NewReader(tt.doc))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseSDS error got %v; want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSDS: %v", err)
			}
			if len(got.Services) != tt.wantServices || got.Product.Vendor() != tt.wantVendor {
				t.Errorf("got %d services, vendor %q; want %d, %q", len(got.Services), got.Product.Vendor(), tt.wantServices, tt.wantVendor)
			}
		})
	}
}

func TestSDSDocumentRoundTrip(t *testing.T) {
	doc := SDSDocument(`Muster & Söhne "Med"`, "Konnektor <Demo>", "5.60.6", "https://127.0.0.1:8443/")
	got, err := ParseSDS(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("ParseSDS(SDSDocument(...)): %v\n%s", err, doc)
	}
	if got.Product.Vendor() != `Muster & Söhne "Med"` || got.Product.Label() != "Konnektor <Demo>" || got.Product.FWVersion != "5.60.6" {
		t.Errorf("product got %+v; want vendor, product and fw back", got.Product)
	}
	ev, ok := got.Service("EventService")
	if !ok || len(ev.Versions) != 1 || ev.Versions[0].EndpointTLS != "https://127.0.0.1:8443/ws/EventService" {
		t.Errorf("EventService got %+v, %v; want endpoint https://127.0.0.1:8443/ws/EventService", ev, ok)
	}
	if len(got.Services) != len(sdsServices) {
		t.Errorf("services got %d; want %d", len(got.Services), len(sdsServices))
	}
}

// FuzzParseSDS checks that arbitrary input never panics the parser.
func FuzzParseSDS(f *testing.F) {
	fixture, err := os.ReadFile("testdata/connector.sds")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(fixture)
	f.Add(SDSDocument("V", "P", "1.0", "https://k"))
	f.Add([]byte(`<ConnectorServices><ServiceInformation><Service Name="EventService"/></ServiceInformation></ConnectorServices>`))
	f.Add([]byte(`<?xml version="1.0" encoding="latin1"?><ConnectorServices/>`))
	f.Add([]byte(`<a>`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseSDS(bytes.NewReader(b))
		if err == nil && d == nil {
			t.Fatal("ParseSDS gave neither a directory nor an error")
		}
	})
}

// FuzzSDSDocument checks that every rendered document parses back to the
// values it was made from.
func FuzzSDSDocument(f *testing.F) {
	f.Add("Muster GmbH", "Konnektor", "5.1.0", "https://127.0.0.1:8443")
	f.Add(`<&">`, "\t", "", "")
	f.Fuzz(func(t *testing.T, vendor, product, fw, base string) {
		for _, s := range []string{vendor, product, fw, base} {
			if !utf8.ValidString(s) || !xmlSafe(s) || strings.TrimSpace(s) != s {
				return // not representable unchanged; SDSDocument replaces or trims it
			}
		}
		d, err := ParseSDS(bytes.NewReader(SDSDocument(vendor, product, fw, base)))
		if err != nil {
			t.Fatalf("rendered document does not parse: %v", err)
		}
		if d.Product.VendorName != vendor || d.Product.Name != product || d.Product.FWVersion != fw {
			t.Fatalf("got %q %q %q; want %q %q %q", d.Product.VendorName, d.Product.Name, d.Product.FWVersion, vendor, product, fw)
		}
		if _, ok := d.Service("EventService"); !ok {
			t.Fatal("rendered document lists no EventService")
		}
	})
}

// xmlSafe reports whether s has only characters XML 1.0 can carry.
func xmlSafe(s string) bool {
	for _, r := range s {
		if !(r == 0x09 || r == 0x0A || r == 0x0D || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)) {
			return false
		}
	}
	return true
}
