package sim

import (
	"bytes"
	"encoding/xml"
	"fmt"
)

// Product data the simulated Konnektor reports in its service directory.
const (
	sdsVendor  = "lifeline"
	sdsProduct = "Simulierter Konnektor"
	sdsFW      = "5.50.2"
)

// connectorSDS returns the Konnektor's service directory (connector.sds)
// with endpoints under baseURL. Its shape follows what real Konnektors
// serve: the wrapper in the ServiceDirectory/v3.1 namespace, the product
// information in ProductInformation/v1.1 and the services in
// ServiceInformation/v2.0 (gematik gemSpec_Kon).
//
// This is a stand-in: once internal/check/konnektor exports
// SDSDocument(vendor, product, fw, baseURL string) []byte, this function
// should call it, so that the prober and the simulation share one document.
func connectorSDS(baseURL string) []byte {
	type service struct{ name, ns, version string }
	services := []service{
		{"EventService", "http://ws.gematik.de/conn/EventService/v7.2", "7.2.0"},
		{"CardService", "http://ws.gematik.de/conn/CardService/v8.1", "8.1.2"},
		{"CardTerminalService", "http://ws.gematik.de/conn/CardTerminalService/v1.1", "1.1.0"},
		{"CertificateService", "http://ws.gematik.de/conn/CertificateService/v6.0", "6.0.1"},
		{"SignatureService", "http://ws.gematik.de/conn/SignatureService/v7.5", "7.5.5"},
		{"AuthSignatureService", "http://ws.gematik.de/conn/SignatureService/v7.4", "7.4.1"},
		{"VSDService", "http://ws.gematik.de/conn/vsds/VSDService/v5.2", "5.2.0"},
	}
	esc := func(s string) string {
		var b bytes.Buffer
		_ = xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<ns2:ConnectorServices xmlns:ns2="http://ws.gematik.de/conn/ServiceDirectory/v3.1" xmlns:ns3="http://ws.gematik.de/conn/ServiceInformation/v2.0" xmlns:VERS="http://ws.gematik.de/int/version/ProductInformation/v1.1">
  <VERS:ProductInformation>
    <VERS:InformationDate>2025-01-01T00:00:00Z</VERS:InformationDate>
    <VERS:ProductTypeInformation>
      <VERS:ProductType>Konnektor</VERS:ProductType>
      <VERS:ProductTypeVersion>5.1.0</VERS:ProductTypeVersion>
    </VERS:ProductTypeInformation>
    <VERS:ProductIdentification>
`)
	fmt.Fprintf(&b, `      <VERS:ProductVendorID>%s</VERS:ProductVendorID>
      <VERS:ProductCode>SIMKON</VERS:ProductCode>
      <VERS:ProductVersion>
        <VERS:Local>
          <VERS:HWVersion>1.0.0</VERS:HWVersion>
          <VERS:FWVersion>%s</VERS:FWVersion>
        </VERS:Local>
      </VERS:ProductVersion>
    </VERS:ProductIdentification>
    <VERS:ProductMiscellaneous>
      <VERS:ProductVendorName>%s</VERS:ProductVendorName>
      <VERS:ProductName>%s</VERS:ProductName>
    </VERS:ProductMiscellaneous>
  </VERS:ProductInformation>
  <ns2:TLSMandatory>true</ns2:TLSMandatory>
  <ns2:ClientAutMandatory>false</ns2:ClientAutMandatory>
  <ns3:ServiceInformation>
`, esc(sdsVendor), esc(sdsFW), esc(sdsVendor), esc(sdsProduct))
	for _, s := range services {
		fmt.Fprintf(&b, `    <ns3:Service Name="%s">
      <ns3:Abstract>%s</ns3:Abstract>
      <ns3:Versions>
        <ns3:Version TargetNamespace="%s" Version="%s">
          <ns3:Abstract>%s %s</ns3:Abstract>
          <ns3:EndpointTLS Location="%s/ws/%s"/>
          <ns3:WSDL Location="%s/ws/%s?wsdl"/>
        </ns3:Version>
      </ns3:Versions>
    </ns3:Service>
`, s.name, s.name, s.ns, s.version, s.name, s.version, esc(baseURL), s.name, esc(baseURL), s.name)
	}
	b.WriteString("  </ns3:ServiceInformation>\n</ns2:ConnectorServices>\n")
	return b.Bytes()
}
