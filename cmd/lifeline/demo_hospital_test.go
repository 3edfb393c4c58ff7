package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestDemoHospitalShowsWards logs in on the demo's hospital site and waits
// until its downtime copy, fed over FHIR Bulk Data by the simulated EHR,
// lists inpatients on a ward.
func TestDemoHospitalShowsWards(t *testing.T) {
	info := startDemo(t, time.Second)
	base, err := url.Parse(info.HospitalURL)
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	origin := base.Scheme + "://" + base.Host
	req, _ := http.NewRequest("POST", origin+"/login", strings.NewReader(url.Values{"user": {info.User}, "password": {info.Password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", origin)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := client.Get(info.HospitalURL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page := string(body)
		if resp.StatusCode == http.StatusOK && strings.Contains(page, "Datenstand") && strings.Contains(page, "/hospital/wards/") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hospital overview lists no ward within 60 s (status %d):\n%.2000s", resp.StatusCode, page)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
