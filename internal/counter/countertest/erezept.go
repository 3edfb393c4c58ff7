package countertest

import (
	"fmt"
	"strings"

	"github.com/lifeline-project/lifeline/internal/pharma"
)

func pad3(n int) string { return fmt.Sprintf("%03d", n%1000) }

// pharmaCheck returns the Rezept-ID's check digits of its first 15 digits.
func pharmaCheck(first15 string) string { return pharma.PrescriptionIDCheckDigits(first15) }

// accessCode returns a distinct 64-hex-digit access code for n.
func accessCode(n int) string {
	return strings.Repeat(fmt.Sprintf("%02x", n%256), 31) + "ab"
}
