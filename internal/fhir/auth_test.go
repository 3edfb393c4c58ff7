package fhir_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/fhir"
	"github.com/lifeline-project/lifeline/internal/fhir/fhirsim"
	"github.com/lifeline-project/lifeline/internal/fhir/fhirtest"
	"github.com/lifeline-project/lifeline/internal/fhir/gen"
)

// keyFile writes a private key as PEM (PKCS#8) and returns the path.
func keyFile(t *testing.T, key crypto.Signer) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "smart.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSMARTBackendServices(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	tests := []struct {
		name     string
		key      crypto.Signer // registered at the EHR
		sign     crypto.Signer // used by lifeline
		wantAlg  string
		wantFail bool
	}{
		{"RS384", rsaKey, rsaKey, fhir.AlgRS384, false},
		{"ES384", ecKey, ecKey, fhir.AlgES384, false},
		{"wrong key", ecKey, otherKey, fhir.AlgES384, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signer, alg, err := fhir.LoadPrivateKey(keyFile(t, tt.sign))
			if err != nil {
				t.Fatal(err)
			}
			if alg != tt.wantAlg {
				t.Errorf("algorithm: got %s; want %s", alg, tt.wantAlg)
			}
			var src *fhir.SMART
			e := fhirtest.New(t, fhirtest.Options{Dir: smallHospital(t), NoAdmit: true, Sim: fhirsim.Options{SMARTClientID: "lifeline", SMARTKey: tt.key.Public()},
				Token: tokenLater(func() fhir.TokenSource { return src })})
			src, err = fhir.NewSMART(fhir.SMARTOptions{ClientID: "lifeline", TokenURL: e.Server.URL + "/auth/token",
				Key: signer, KeyID: "k1", Clock: e.Clock})
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.Syncer.SyncOnce(context.Background())
			st := e.Sim.Stats()
			if tt.wantFail {
				if err == nil || !strings.Contains(err.Error(), "invalid_client") {
					t.Fatalf("sync with an unregistered key: got %v; want the token endpoint's refusal", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("sync: %v", err)
			}
			if st.Tokens != 1 || st.Unauthorized != 0 {
				t.Errorf("simulator: %d token requests, %d refused requests; want one token reused for the whole export", st.Tokens, st.Unauthorized)
			}
			// The token expires after 5 minutes; the next sync gets a new one.
			e.Clock.Advance(6 * time.Minute)
			e.Sync()
			if got := e.Sim.Stats().Tokens; got != 2 {
				t.Errorf("token requests after expiry: %d; want 2", got)
			}
		})
	}
}

// tokenLater lets the test build the token source after the Env (it needs
// the server's address).
type tokenLater func() fhir.TokenSource

func (f tokenLater) Token(ctx context.Context) (string, error) { return f().Token(ctx) }
func (f tokenLater) Invalidate()                               { f().Invalidate() }

func TestBearerTokenFile(t *testing.T) {
	tokens := t.TempDir()
	good, bad := filepath.Join(tokens, "good"), filepath.Join(tokens, "bad")
	os.WriteFile(good, []byte("s3cret-token\n"), 0o600)
	os.WriteFile(bad, []byte("guessed"), 0o600)
	dir := smallHospital(t)
	e := fhirtest.New(t, fhirtest.Options{Dir: dir, NoAdmit: true, Sim: fhirsim.Options{Bearer: "s3cret-token"}, Token: fhir.NewFileToken(good)})
	e.Sync()
	if st := e.Sim.Stats(); st.Unauthorized != 0 {
		t.Errorf("%d requests refused with the right token", st.Unauthorized)
	}
	e2 := fhirtest.New(t, fhirtest.Options{Dir: dir, NoAdmit: true, Sim: fhirsim.Options{Bearer: "s3cret-token"}, Token: fhir.NewFileToken(bad)})
	_, err := e2.Syncer.SyncOnce(context.Background())
	if fhir.ErrorCode(err) != fhir.EUNAUTHORIZED {
		t.Fatalf("wrong token: got %v (code %s); want EUNAUTHORIZED", err, fhir.ErrorCode(err))
	}
	if st := e2.Sim.Stats(); st.Unauthorized != 2 {
		t.Errorf("refused requests: %d; want 2 (the file is read again once after a 401)", st.Unauthorized)
	}
}

func TestSearchFallback(t *testing.T) {
	bulk := fhirtest.New(t, fhirtest.Options{})
	bulk.Sync()
	e := fhirtest.New(t, fhirtest.Options{Sim: fhirsim.Options{NoExport: true}})
	e.Clock.Advance(time.Minute) // the copy starts a little after the EHR's data
	rep := e.Sync()
	if rep.Mode != fhir.ModeSearch || !rep.Full {
		t.Fatalf("first sync without $export: mode %s full %v; want a full search pass", rep.Mode, rep.Full)
	}
	want := counts(t, bulk)
	got := counts(t, e)
	for typ, n := range want {
		if got[typ] != n {
			t.Errorf("%s: search fallback copied %d; bulk export %d", typ, got[typ], n)
		}
	}
	// An increment asks only for what changed.
	e.Clock.Advance(5 * time.Minute)
	pid := e.Sim.IDs(fhir.TypePatient)[2]
	raw, _ := e.Sim.Resource(fhir.TypePatient, pid)
	if err := e.Sim.Put(raw); err != nil {
		t.Fatal(err)
	}
	cond := e.Sim.IDs(fhir.TypeCondition)[0]
	e.Sim.Delete(fhir.TypeCondition, cond)
	e.Clock.Advance(time.Minute)
	rep = e.Sync()
	if rep.Full || rep.Counts.Put != 1 {
		t.Errorf("increment by search: full %v, put %d; want 1 changed resource", rep.Full, rep.Counts.Put)
	}
	if got := counts(t, e)[fhir.TypeCondition]; got != sampleConditions {
		t.Errorf("conditions after an increment: %d; searches cannot see deletions, want %d", got, sampleConditions)
	}
	// The daily full pass removes what was deleted.
	e.Clock.Advance(fhir.DefaultFullEvery)
	rep = e.Sync()
	if !rep.Full || rep.Mode != fhir.ModeSearch {
		t.Errorf("after a day: full %v mode %s; want a full search pass (the server still has no $export)", rep.Full, rep.Mode)
	}
	if got := counts(t, e)[fhir.TypeCondition]; got != sampleConditions-1 {
		t.Errorf("conditions after the full pass: %d; want %d", got, sampleConditions-1)
	}
	if st := e.Sim.Stats(); st.KickOffs != 2 {
		t.Errorf("kick-offs: %d; want 2 (first sync and the daily full sync ask for $export again)", st.KickOffs)
	}
}

// smallHospital generates 8 patients: enough for the protocol tests that
// need no particular data.
func smallHospital(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := gen.WriteDir(dir, gen.Options{Patients: 8, Seed: 2, Now: fhirtest.Start(), Wards: 2, BedsPerWard: 4}); err != nil {
		t.Fatal(err)
	}
	return dir
}
