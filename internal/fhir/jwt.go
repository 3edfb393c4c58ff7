package fhir

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
)

// The JWT of a SMART backend services client assertion is small enough to
// sign here with the standard library: RS384 (RSASSA-PKCS1-v1_5 with
// SHA-384) or ES384 (ECDSA P-384 with SHA-384, r||s of 48 bytes each), the
// two algorithms SMART requires servers to support.

// Algorithms of client assertions.
const (
	AlgRS384 = "RS384"
	AlgES384 = "ES384"
)

var b64 = base64.RawURLEncoding

// LoadPrivateKey reads a PEM private key (PKCS#8, PKCS#1 RSA or SEC 1 EC)
// for client assertions and returns it with its algorithm.
func LoadPrivateKey(file string) (crypto.Signer, string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, "", fmt.Errorf("read the SMART key file %s: %w", file, err)
	}
	return ParsePrivateKey(data, file)
}

// ParsePrivateKey reads a PEM private key; name is used in messages.
func ParsePrivateKey(data []byte, name string) (crypto.Signer, string, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, "", fmt.Errorf("SMART key %s: no PEM block found; write the private key in PEM", name)
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, "", fmt.Errorf("SMART key %s: %w", name, err)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < 2048 {
			return nil, "", fmt.Errorf("SMART key %s: RSA key has %d bits; use at least 2048", name, k.N.BitLen())
		}
		return k, AlgRS384, nil
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P384() {
			return nil, "", fmt.Errorf("SMART key %s: EC key must use curve P-384 for ES384", name)
		}
		return k, AlgES384, nil
	}
	return nil, "", fmt.Errorf("SMART key %s: %T is not supported; use RSA (RS384) or EC P-384 (ES384)", name, key)
}

// SignJWT signs claims with key (RS384 for RSA, ES384 for EC P-384).
func SignJWT(key crypto.Signer, kid string, claims any) (string, error) {
	var alg string
	switch k := key.(type) {
	case *rsa.PrivateKey:
		alg = AlgRS384
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P384() {
			return "", errors.New("jwt: EC key must use P-384")
		}
		alg = AlgES384
	default:
		return "", fmt.Errorf("jwt: key type %T not supported", key)
	}
	hdr := map[string]string{"alg": alg, "typ": "JWT"}
	if kid != "" {
		hdr["kid"] = kid
	}
	h, err := json.Marshal(hdr)
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signing := b64.EncodeToString(h) + "." + b64.EncodeToString(c)
	sum := sha512.Sum384([]byte(signing))
	var sig []byte
	switch k := key.(type) {
	case *rsa.PrivateKey:
		sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA384, sum[:])
	case *ecdsa.PrivateKey:
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, k, sum[:])
		if err == nil {
			sig = make([]byte, 96)
			r.FillBytes(sig[:48])
			s.FillBytes(sig[48:])
		}
	}
	if err != nil {
		return "", fmt.Errorf("jwt: sign: %w", err)
	}
	return signing + "." + b64.EncodeToString(sig), nil
}

// VerifyJWT checks the signature of token with pub and decodes its claims
// into claims. It returns the header's kid. Only RS384 and ES384 are
// accepted, and the algorithm must match the key.
func VerifyJWT(token string, pub crypto.PublicKey, claims any) (kid string, err error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("jwt: not three parts")
	}
	hb, err := b64.DecodeString(parts[0])
	if err != nil {
		return "", errors.New("jwt: header not base64url")
	}
	var hdr struct{ Alg, Kid string }
	if err := json.Unmarshal(hb, &hdr); err != nil {
		return "", errors.New("jwt: header not JSON")
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		return "", errors.New("jwt: signature not base64url")
	}
	sum := sha512.Sum384([]byte(parts[0] + "." + parts[1]))
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if hdr.Alg != AlgRS384 {
			return "", fmt.Errorf("jwt: alg %q does not fit an RSA key", hdr.Alg)
		}
		if err := rsa.VerifyPKCS1v15(k, crypto.SHA384, sum[:], sig); err != nil {
			return "", errors.New("jwt: bad signature")
		}
	case *ecdsa.PublicKey:
		if hdr.Alg != AlgES384 || len(sig) != 96 {
			return "", fmt.Errorf("jwt: alg %q does not fit an EC P-384 key", hdr.Alg)
		}
		r, s := new(big.Int).SetBytes(sig[:48]), new(big.Int).SetBytes(sig[48:])
		if !ecdsa.Verify(k, sum[:], r, s) {
			return "", errors.New("jwt: bad signature")
		}
	default:
		return "", fmt.Errorf("jwt: key type %T not supported", pub)
	}
	cb, err := b64.DecodeString(parts[1])
	if err != nil {
		return "", errors.New("jwt: claims not base64url")
	}
	if err := json.Unmarshal(cb, claims); err != nil {
		return "", errors.New("jwt: claims not JSON")
	}
	return hdr.Kid, nil
}
