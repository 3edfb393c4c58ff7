package konnektor

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// ServiceDirectory is the parsed connector.sds of a Konnektor: what product
// it is and which services it offers at which endpoints.
//
// The document has three namespaces (gematik schemas ServiceDirectory v3.1,
// ProductInformation v1.1, ServiceInformation v2.0); vendors prefix them
// differently, so elements are matched by local name.
type ServiceDirectory struct {
	// TLSMandatory and ClientAuthMandatory say whether the Konnektor
	// requires TLS and a client certificate for its services.
	TLSMandatory        bool
	ClientAuthMandatory bool
	Product             Product
	Services            []Service
}

// Product is the ProductInformation of the Konnektor.
type Product struct {
	// Type and TypeVersion, e.g. "Konnektor" and "5.1.0".
	Type        string
	TypeVersion string
	// VendorID and Code identify the product, e.g. "SECUN" and "secu_kon".
	VendorID string
	Code     string
	// HWVersion and FWVersion are the local hardware and firmware versions.
	HWVersion string
	FWVersion string
	// VendorName and Name are the plain names from ProductMiscellaneous,
	// when the Konnektor lists them.
	VendorName string
	Name       string
}

// Vendor returns the vendor's name, or its ID when no name is listed.
func (p Product) Vendor() string {
	if p.VendorName != "" {
		return p.VendorName
	}
	return p.VendorID
}

// Label returns the product's name, or its code when no name is listed.
func (p Product) Label() string {
	if p.Name != "" {
		return p.Name
	}
	return p.Code
}

// Service is one service of the Konnektor (EventService, CardService, ...)
// with the versions it offers.
type Service struct {
	Name     string
	Versions []ServiceVersion
}

// ServiceVersion is one offered version of a service.
type ServiceVersion struct {
	// Version, e.g. "7.2.0".
	Version string
	// TargetNamespace is the WSDL namespace of that version.
	TargetNamespace string
	// EndpointTLS and Endpoint are the https and http locations.
	EndpointTLS string
	Endpoint    string
}

// Service returns the service called name.
func (d *ServiceDirectory) Service(name string) (Service, bool) {
	for _, s := range d.Services {
		if s.Name == name {
			return s, true
		}
	}
	return Service{}, false
}

// The schema subset read, matched by local name.
type xmlSDS struct {
	XMLName            xml.Name `xml:"ConnectorServices"`
	TLSMandatory       string   `xml:"TLSMandatory"`
	ClientAutMandatory string   `xml:"ClientAutMandatory"`
	ProductInformation struct {
		TypeInformation struct {
			Type        string `xml:"ProductType"`
			TypeVersion string `xml:"ProductTypeVersion"`
		} `xml:"ProductTypeInformation"`
		Identification struct {
			VendorID string `xml:"ProductVendorID"`
			Code     string `xml:"ProductCode"`
			Local    struct {
				HWVersion string `xml:"HWVersion"`
				FWVersion string `xml:"FWVersion"`
			} `xml:"ProductVersion>Local"`
		} `xml:"ProductIdentification"`
		Misc struct {
			VendorName string `xml:"ProductVendorName"`
			Name       string `xml:"ProductName"`
		} `xml:"ProductMiscellaneous"`
	} `xml:"ProductInformation"`
	Services []struct {
		Name     string `xml:"Name,attr"`
		Versions []struct {
			Version         string `xml:"Version,attr"`
			TargetNamespace string `xml:"TargetNamespace,attr"`
			EndpointTLS     struct {
				Location string `xml:"Location,attr"`
			} `xml:"EndpointTLS"`
			Endpoint struct {
				Location string `xml:"Location,attr"`
			} `xml:"Endpoint"`
		} `xml:"Versions>Version"`
	} `xml:"ServiceInformation>Service"`
}

// ParseSDS reads a connector.sds document. It fails when the input is not
// well-formed XML or its root is not a ConnectorServices element.
func ParseSDS(r io.Reader) (*ServiceDirectory, error) {
	dec := xml.NewDecoder(r)
	dec.CharsetReader = charsetReader
	var raw xmlSDS
	if err := dec.Decode(&raw); err != nil {
		var se xml.UnmarshalError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("connector.sds is not a Konnektor service directory: %w", err)
		}
		return nil, fmt.Errorf("connector.sds is not well-formed XML: %w", err)
	}
	pi := raw.ProductInformation
	d := &ServiceDirectory{
		TLSMandatory:        strings.TrimSpace(raw.TLSMandatory) == "true",
		ClientAuthMandatory: strings.TrimSpace(raw.ClientAutMandatory) == "true",
		Product: Product{
			Type:        strings.TrimSpace(pi.TypeInformation.Type),
			TypeVersion: strings.TrimSpace(pi.TypeInformation.TypeVersion),
			VendorID:    strings.TrimSpace(pi.Identification.VendorID),
			Code:        strings.TrimSpace(pi.Identification.Code),
			HWVersion:   strings.TrimSpace(pi.Identification.Local.HWVersion),
			FWVersion:   strings.TrimSpace(pi.Identification.Local.FWVersion),
			VendorName:  strings.TrimSpace(pi.Misc.VendorName),
			Name:        strings.TrimSpace(pi.Misc.Name),
		},
	}
	for _, s := range raw.Services {
		svc := Service{Name: strings.TrimSpace(s.Name)}
		if svc.Name == "" {
			return nil, errors.New("connector.sds lists a Service without a Name")
		}
		for _, v := range s.Versions {
			svc.Versions = append(svc.Versions, ServiceVersion{
				Version:         strings.TrimSpace(v.Version),
				TargetNamespace: strings.TrimSpace(v.TargetNamespace),
				EndpointTLS:     strings.TrimSpace(v.EndpointTLS.Location),
				Endpoint:        strings.TrimSpace(v.Endpoint.Location),
			})
		}
		d.Services = append(d.Services, svc)
	}
	return d, nil
}

// charsetReader accepts UTF-8 and ISO-8859-1 declarations, the two seen in
// Konnektor documents.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(charset)) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return input, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1":
		b, err := io.ReadAll(input)
		if err != nil {
			return nil, err
		}
		var out bytes.Buffer
		out.Grow(len(b) + len(b)/8)
		for _, c := range b {
			out.WriteRune(rune(c))
		}
		return &out, nil
	default:
		return nil, fmt.Errorf("connector.sds uses the character set %q; only UTF-8 and ISO-8859-1 are supported", charset)
	}
}

// sdsServices are the services SDSDocument lists, each with its newest version and
// the WSDL namespace of that version (gematik Konnektor PTV5).
var sdsServices = []struct{ name, version, ns string }{
	{"EventService", "7.2.0", "http://ws.gematik.de/conn/EventService/WSDL/v7.2"},
	{"CardService", "8.1.2", "http://ws.gematik.de/conn/CardService/WSDL/v8.1"},
	{"CardTerminalService", "1.1.0", "http://ws.gematik.de/conn/CardTerminalService/WSDL/v1.1"},
	{"CertificateService", "6.0.1", "http://ws.gematik.de/conn/CertificateService/WSDL/v6.0"},
	{"SignatureService", "7.5.5", "http://ws.gematik.de/conn/SignatureService/WSDL/v7.5"},
	{"AuthSignatureService", "7.4.1", "http://ws.gematik.de/conn/SignatureService/WSDL/v7.4"},
	{"EncryptionService", "6.1.1", "http://ws.gematik.de/conn/EncryptionService/WSDL/v6.1"},
	{"VSDService", "5.2.0", "http://ws.gematik.de/conn/vsds/VSDService/WSDL/v5.2"},
}

// SDSDocument renders a valid connector.sds for a simulated Konnektor of
// the given vendor, product and firmware version whose services live below
// baseURL (for example "https://127.0.0.1:8443"). The demo's simulated
// Konnektor serves it; ParseSDS reads it back.
func SDSDocument(vendor, product, fw, baseURL string) []byte {
	base := strings.TrimRight(baseURL, "/")
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n")
	b.WriteString(`<SD:ConnectorServices xmlns:SD="http://ws.gematik.de/conn/ServiceDirectory/v3.1"` +
		` xmlns:PI="http://ws.gematik.de/int/version/ProductInformation/v1.1"` +
		` xmlns:SI="http://ws.gematik.de/conn/ServiceInformation/v2.0">` + "\n")
	b.WriteString("  <SD:TLSMandatory>true</SD:TLSMandatory>\n")
	b.WriteString("  <SD:ClientAutMandatory>false</SD:ClientAutMandatory>\n")
	b.WriteString("  <PI:ProductInformation>\n")
	b.WriteString("    <PI:InformationDate>2026-01-01T00:00:00Z</PI:InformationDate>\n")
	b.WriteString("    <PI:ProductTypeInformation>\n")
	b.WriteString("      <PI:ProductType>Konnektor</PI:ProductType>\n")
	b.WriteString("      <PI:ProductTypeVersion>5.1.0</PI:ProductTypeVersion>\n")
	b.WriteString("    </PI:ProductTypeInformation>\n")
	b.WriteString("    <PI:ProductIdentification>\n")
	fmt.Fprintf(&b, "      <PI:ProductVendorID>%s</PI:ProductVendorID>\n", esc(vendor))
	fmt.Fprintf(&b, "      <PI:ProductCode>%s</PI:ProductCode>\n", esc(product))
	b.WriteString("      <PI:ProductVersion>\n        <PI:Local>\n")
	b.WriteString("          <PI:HWVersion>1.0.0</PI:HWVersion>\n")
	fmt.Fprintf(&b, "          <PI:FWVersion>%s</PI:FWVersion>\n", esc(fw))
	b.WriteString("        </PI:Local>\n      </PI:ProductVersion>\n")
	b.WriteString("    </PI:ProductIdentification>\n")
	b.WriteString("    <PI:ProductMiscellaneous>\n")
	fmt.Fprintf(&b, "      <PI:ProductVendorName>%s</PI:ProductVendorName>\n", esc(vendor))
	fmt.Fprintf(&b, "      <PI:ProductName>%s</PI:ProductName>\n", esc(product))
	b.WriteString("    </PI:ProductMiscellaneous>\n")
	b.WriteString("  </PI:ProductInformation>\n")
	b.WriteString("  <SI:ServiceInformation>\n")
	for _, s := range sdsServices {
		fmt.Fprintf(&b, "    <SI:Service Name=\"%s\">\n", s.name)
		fmt.Fprintf(&b, "      <SI:Abstract>%s</SI:Abstract>\n", s.name)
		b.WriteString("      <SI:Versions>\n")
		fmt.Fprintf(&b, "        <SI:Version TargetNamespace=\"%s\" Version=\"%s\">\n", s.ns, s.version)
		fmt.Fprintf(&b, "          <SI:EndpointTLS Location=\"%s\"/>\n", esc(base+"/ws/"+s.name))
		fmt.Fprintf(&b, "          <SI:WSDL Location=\"%s\"/>\n", esc(base+"/wsdl/"+s.name+".wsdl"))
		b.WriteString("        </SI:Version>\n      </SI:Versions>\n    </SI:Service>\n")
	}
	b.WriteString("  </SI:ServiceInformation>\n")
	b.WriteString("</SD:ConnectorServices>\n")
	return b.Bytes()
}

// esc escapes s for XML text or a double-quoted attribute. Characters XML
// cannot hold become U+FFFD.
func esc(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
