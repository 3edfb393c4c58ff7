package fleet

import (
	"path/filepath"
	"testing"
)

func TestExampleFleetConfigIsValid(t *testing.T) {
	if _, err := LoadConfig(filepath.Join("..", "..", "examples", "fleet.yaml")); err != nil {
		t.Fatalf("examples/fleet.yaml: %v", err)
	}
}
